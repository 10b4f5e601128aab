#pragma once
// The whole of the Asio pgwrap::asio is built with (pgwrap/asio.hpp names
// only what its declarations need).

#include "pgwrap/asio.hpp"

#if PGWRAP_ASIO_BOOST
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

namespace pgwrap::detail {
#if PGWRAP_ASIO_BOOST
using net_error_code = boost::system::error_code;
using net_system_error = boost::system::system_error;
#else
using net_error_code = std::error_code;
using net_system_error = std::system_error;
#endif
}  // namespace pgwrap::detail
