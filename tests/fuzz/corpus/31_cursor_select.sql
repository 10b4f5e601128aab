(select a FROM t WHERE b = $1) UNION TABLE u;
/* insert update delete merge into */
