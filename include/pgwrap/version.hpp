#pragma once
/// @file
/// pgwrap's version.

#define PGWRAP_VERSION_MAJOR 0
#define PGWRAP_VERSION_MINOR 1
#define PGWRAP_VERSION_PATCH 0

namespace pgwrap {
inline constexpr const char* version = "0.1.0";
}  // namespace pgwrap
