#include "server/metrics/metric_value.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "prometheus/collectable.h"
#include "prometheus/text_serializer.h"

namespace ssecast {

std::optional<double> MetricValue(Metrics& metrics, const std::string& series) {
  const std::string text =
      prometheus::TextSerializer().Serialize(metrics.collectable()->Collect());
  const std::string prefix = absl::StrCat(series, " ");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    double value = 0;
    if (absl::StartsWith(line, prefix) &&
        absl::SimpleAtod(line.substr(prefix.size()), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace ssecast
