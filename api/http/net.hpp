#pragma once

// The one way to include Asio and Beast: g++ 12 with C++20 needs <utility> before any Asio header
// (Boost 1.74 asio/awaitable.hpp uses std::exchange), see cpp-stack-notes.md §6.
#include <utility>

#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace herald {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

/// Beast's string views as standard ones.
inline std::string_view to_std(boost::string_view x) {
  return {x.data(), x.size()};
}

}  // namespace herald
