SELECT 'a'
  'b %s' -- c
'%s' || %s