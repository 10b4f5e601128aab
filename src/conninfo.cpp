// Keeping passwords out of error messages. libpq echoes parts of a bad
// conninfo back (e.g. an unparsable URI); whatever the password is, every
// occurrence of it is masked before a message leaves pgwrap.

#include <memory>
#include <string>
#include <string_view>

#include "internal.hpp"

namespace pgwrap::detail {

namespace {
struct options_deleter {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};

// The password written in a URI (postgresql://user:password@host), found by
// hand because a conninfo libpq cannot parse is exactly when we need it.
std::string uri_password(std::string_view conninfo) {
  const auto scheme = conninfo.find("://");
  if (scheme == std::string_view::npos) return {};
  const std::string_view rest = conninfo.substr(scheme + 3);
  const auto at = rest.find('@');
  if (at == std::string_view::npos) return {};
  const std::string_view userinfo = rest.substr(0, at);
  const auto colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string() : std::string(userinfo.substr(colon + 1));
}

// password=... in key=value form, also when the rest does not parse.
std::string keyword_password(std::string_view conninfo) {
  const auto key = conninfo.find("password");
  if (key == std::string_view::npos) return {};
  auto i = conninfo.find('=', key);
  if (i == std::string_view::npos) return {};
  ++i;
  while (i < conninfo.size() && conninfo[i] == ' ') ++i;
  std::string value;
  if (i < conninfo.size() && conninfo[i] == '\'') {
    for (++i; i < conninfo.size() && conninfo[i] != '\''; ++i) {
      if (conninfo[i] == '\\' && i + 1 < conninfo.size()) ++i;
      value += conninfo[i];
    }
  } else {
    while (i < conninfo.size() && conninfo[i] != ' ') value += conninfo[i++];
  }
  return value;
}

// One mask wherever a password would show: messages and to_string() alike.
constexpr std::string_view password_mask = "********";

void mask(std::string& message, const std::string& secret) {
  if (secret.empty()) return;
  for (auto at = message.find(secret); at != std::string::npos; at = message.find(secret, at + password_mask.size())) {
    message.replace(at, secret.size(), password_mask);
  }
}
}  // namespace

std::string redact_password(std::string message, std::string_view conninfo) {
  const std::string text(conninfo);
  std::unique_ptr<PQconninfoOption, options_deleter> options(PQconninfoParse(text.c_str(), nullptr));
  if (options) {
    for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
      if (std::string_view(o->keyword) == "password" && o->val) mask(message, o->val);
    }
  }
  mask(message, uri_password(conninfo));
  mask(message, keyword_password(conninfo));
  return message;
}

std::string with_read_write(std::string conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, options_deleter> options(PQconninfoParse(conninfo.c_str(), &error));
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw usage_error(redact_password("a conninfo libpq cannot parse (" + why + ")", conninfo));
  }
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
    if (std::string_view(o->keyword) == "target_session_attrs" && o->val) return conninfo;
  }
  const bool uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  conninfo += uri ? (conninfo.find('?') == std::string::npos ? "?" : "&") : " ";
  conninfo += "target_session_attrs=read-write";
  return conninfo;
}

std::string masked_conninfo(std::string_view conninfo) {
  const std::string text(conninfo);
  std::unique_ptr<PQconninfoOption, options_deleter> options(PQconninfoParse(text.c_str(), nullptr));
  if (!options) return "(a conninfo libpq cannot parse)";  // it might hold a password in any shape
  std::string out;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
    if (o->val == nullptr) continue;
    if (!out.empty()) out += ' ';
    out += o->keyword;
    out += '=';
    if (std::string_view(o->keyword) == "password") {
      out += password_mask;
      continue;
    }
    const std::string_view value(o->val);
    const bool quote = value.empty() || value.find_first_of(" '\\") != std::string_view::npos;
    if (quote) out += '\'';
    for (const char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    if (quote) out += '\'';
  }
  return out;
}

}  // namespace pgwrap::detail
