// engine::parameter_types: statements' parameter types, described once, and
// the parameters written again for them (see parameter_types.hpp).

#include "engine/parameter_types.hpp"

#include <string>
#include <utility>

#include "pgwrap/error.hpp"

namespace pgwrap::engine {

const std::vector<Oid>* parameter_types::find(const std::string& key) const {
  const auto it = known_.find(key);
  return it == known_.end() ? nullptr : &it->second;
}

const std::vector<Oid>& parameter_types::add(const std::string& key, const PGresult* description) {
  if (known_.size() >= capacity) known_.clear();
  std::vector<Oid> types;
  const int n = PQnparams(description);
  types.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) types.push_back(PQparamtype(description, i));
  return known_[key] = std::move(types);
}

std::vector<command> parameter_types::describe(const char* sql, const parameters& types) {
  return {command::prepare("", sql, types), command::describe("")};
}

std::vector<std::uint32_t> late_types(std::span<const param_ref> params, std::span<const Oid> described) {
  std::vector<std::uint32_t> oids;
  for (std::size_t i = 0; i < params.size() && i < described.size(); ++i) {
    if (params[i].late_write != nullptr && described[i] >= detail::first_user_oid) oids.push_back(described[i]);
  }
  return oids;
}

void write_late(std::span<const param_ref> params, std::span<const Oid> described, const detail::type_set& types,
                std::vector<std::string>& texts, std::span<const char*> values) {
  if (texts.size() < params.size()) texts.resize(params.size());
  for (std::size_t i = 0; i < params.size() && i < described.size() && i < values.size(); ++i) {
    const param_ref& p = params[i];
    if (p.late_write == nullptr || p.data == nullptr) continue;
    try {
      if (p.late_write(p.late_source, described[i], types, texts[i])) values[i] = texts[i].c_str();
    } catch (const conversion_error& e) {
      throw conversion_error("parameter $" + std::to_string(i + 1) + ": " + e.what());
    }
  }
}

}  // namespace pgwrap::engine
