#pragma once
// Which of pgwrap's symbols the shared library exports. pgwrap is built with
// -fvisibility=hidden -fvisibility-inlines-hidden, so everything in src/ stays
// private; each public header wraps its declarations (after its #includes) in
// PGWRAP_API_BEGIN ... PGWRAP_API_END, which exports what they declare.
// One pragma pair per header, rather than a macro on each declaration.

#define PGWRAP_API_BEGIN _Pragma("GCC visibility push(default)")
#define PGWRAP_API_END _Pragma("GCC visibility pop")
// A class nested in an exported one but defined in src/ (an impl): hidden.
#define PGWRAP_INTERNAL [[gnu::visibility("hidden")]]
