#include "bench/publish_stats.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ssecast::bench {

void PublishStats::RecordCall(absl::string_view outcome, int64_t latency_ns,
                              absl::string_view error_message) {
  absl::MutexLock lock(&mu_);
  latency_.Record(latency_ns);
  ++outcomes_[std::string(outcome)];
  ++finished_;
  if (outcome == "OK") {
    ++ok_;
  } else if (first_error_.empty()) {
    first_error_ = absl::StrCat(outcome, ": ", error_message);
  }
}

uint64_t PublishStats::ok() const {
  absl::MutexLock lock(&mu_);
  return ok_;
}

uint64_t PublishStats::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void PublishStats::AppendJson(absl::Duration elapsed, JsonObject& json) const {
  absl::MutexLock lock(&mu_);
  JsonObject outcomes;
  for (const auto& [name, count] : outcomes_) {
    outcomes.Int(name, static_cast<int64_t>(count));
  }
  const double seconds = absl::ToDoubleSeconds(elapsed);
  json.Int("ok", static_cast<int64_t>(ok_))
      .Int("failed", static_cast<int64_t>(finished_ - ok_))
      .Object("outcomes", outcomes)
      .String("first_error", first_error_)
      .Number("elapsed_s", seconds)
      .Number("achieved_rate",
              seconds > 0 ? static_cast<double>(ok_) / seconds : 0)
      .Raw("call_latency_ms", latency_.PercentilesJsonMs());
}

std::string PublishStats::Text(absl::Duration elapsed) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> outcomes;
  for (const auto& [name, count] : outcomes_) {
    outcomes.push_back(absl::StrCat(name, "=", count));
  }
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return absl::StrFormat(
      "ok=%d failed=%d (%s) in %.2fs = %.0f/s; call latency %s%s", ok_,
      finished_ - ok_, absl::StrJoin(outcomes, " "), seconds,
      seconds > 0 ? static_cast<double>(ok_) / seconds : 0,
      latency_.PercentilesTextMs(),
      first_error_.empty() ? "" : absl::StrCat("; first error ", first_error_));
}

}  // namespace ssecast::bench
