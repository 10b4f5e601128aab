SELECT E'a'
'\' %s -- '