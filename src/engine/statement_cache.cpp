#include "engine/statement_cache.hpp"

namespace pgwrap::engine {

std::string statement_cache::key(std::string_view sql, std::span<const Oid> types) {
  std::string k;
  key_into(k, sql, types);
  return k;
}

void statement_cache::key_into(std::string& out, std::string_view sql, std::span<const Oid> types) {
  out.assign(sql);
  out += '\0';  // SQL text has no NUL, so the types cannot run into it
  out.append(reinterpret_cast<const char*>(types.data()), types.size_bytes());
}

std::vector<std::string> statement_cache::set_capacity(std::size_t capacity) {
  capacity_ = capacity;
  std::vector<std::string> evicted;
  while (entries_.size() > capacity_) {
    evicted.push_back(entries_.back().second.name);
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
  return evicted;
}

const prepared_statement* statement_cache::find(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return &it->second->second;
}

std::vector<std::string> statement_cache::add(std::string key, prepared_statement statement) {
  entries_.emplace_front(key, std::move(statement));
  index_[std::move(key)] = entries_.begin();
  return set_capacity(capacity_);
}

bool statement_cache::note_use(const std::string& key) {
  if (uses_.size() > 10 * capacity_) uses_.clear();  // bounded: a flood of one-off statements starts it afresh
  if (++uses_[key] < prepare_threshold) return false;
  uses_.erase(key);
  return true;
}

std::string statement_cache::erase(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return {};
  std::string name = std::move(it->second->second.name);
  entries_.erase(it->second);
  index_.erase(it);
  return name;
}

}  // namespace pgwrap::engine
