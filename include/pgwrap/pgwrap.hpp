#pragma once
/// @file
/// pgwrap: a C++20 PostgreSQL client. Include this one header.

#include "pgwrap/arguments.hpp"     // IWYU pragma: export
#include "pgwrap/batch.hpp"         // IWYU pragma: export
#include "pgwrap/cluster.hpp"       // IWYU pragma: export
#include "pgwrap/database.hpp"      // IWYU pragma: export
#include "pgwrap/describe.hpp"      // IWYU pragma: export
#include "pgwrap/error.hpp"         // IWYU pragma: export
#include "pgwrap/fields.hpp"        // IWYU pragma: export
#include "pgwrap/format.hpp"        // IWYU pragma: export
#include "pgwrap/identifier.hpp"    // IWYU pragma: export
#include "pgwrap/listener.hpp"      // IWYU pragma: export
#include "pgwrap/notification.hpp"  // IWYU pragma: export
#include "pgwrap/observer.hpp"      // IWYU pragma: export
#include "pgwrap/pool.hpp"          // IWYU pragma: export
#include "pgwrap/result.hpp"        // IWYU pragma: export
#include "pgwrap/retry.hpp"         // IWYU pragma: export
#include "pgwrap/row.hpp"           // IWYU pragma: export
#include "pgwrap/sql.hpp"           // IWYU pragma: export
#include "pgwrap/stream.hpp"        // IWYU pragma: export
#include "pgwrap/transaction.hpp"   // IWYU pragma: export
#include "pgwrap/typed_result.hpp"  // IWYU pragma: export
#include "pgwrap/types.hpp"         // IWYU pragma: export
#include "pgwrap/version.hpp"       // IWYU pragma: export
