# Doxygen input filter (Doxyfile INPUT_FILTER): in doc-comment prose, Doxygen
# reads "%word" as "do not link word" and drops the "%", so pgwrap's
# directives (%s, %S, %I, ...) would lose it. Escape them as "\%" there,
# leaving code blocks (@code, ``` fences, indented blocks) and code alone.
# Line numbers are kept, so warnings still point at the header's lines.

# Outside `code spans` Doxygen takes "\%"; inside them it drops the "%" of
# "%word" all the same but keeps a "%" before it, so there "%%word" it is.
# Inside "quoted strings" it keeps the "%" as written.
function escape(text,    n, parts, i, out) {
    n = split(text, parts, "`")
    out = ""
    for (i = 1; i <= n; i++) out = out (i > 1 ? "`" : "") unquoted(parts[i], i % 2 == 1 ? "\\\\&" : "%&")
    return out
}
function unquoted(text, with,    n, parts, i, out) {
    n = split(text, parts, "\"")
    out = ""
    for (i = 1; i <= n; i++) {
        if (i % 2 == 1) gsub(/%[A-Za-z_]/, with, parts[i])
        out = out (i > 1 ? "\"" : "") parts[i]
    }
    return out
}
{
    line = $0
    if (match(line, /^[ \t]*(\/\/\/|\/\*\*|\*)/)) {
        prefix = substr(line, 1, RLENGTH)
        text = substr(line, RLENGTH + 1)
        if (text ~ /[@\\]code/ || text ~ /^ ?```/) in_code = 1
        if (text ~ /[@\\]endcode/) { in_code = 0; print line; next }
        if (text ~ /^ ?```/ && fence_open) { fence_open = 0; in_code = 0; print line; next }
        if (text ~ /^ ?```/) { fence_open = 1; print line; next }
        if (!in_code && text !~ /^     /) text = escape(text)
        print prefix text
        next
    }
    in_code = 0; fence_open = 0
    print line
}
