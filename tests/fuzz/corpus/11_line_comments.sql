SELECT 1 -- %s $1 'x
, %s --, %s -- /*
, %s