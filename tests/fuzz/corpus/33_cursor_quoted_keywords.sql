SELECT E'a'
'\' into' AS "into", $$ INSERT $$ % 2; SELECT 2
