// json and jsonb: the codecs are all in pgwrap/types/json.hpp (the wrappers
// take the text as it is; nlohmann::json's codec is header-only so that the
// library builds, and stays the same library, with or without nlohmann/json).

#include "pgwrap/types.hpp"
