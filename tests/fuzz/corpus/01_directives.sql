SELECT %s, %(id)s, %I FROM t WHERE %W AND (%A OR %O) -- %s
