#ifndef SSECAST_SERVER_METRICS_METRIC_VALUE_H_
#define SSECAST_SERVER_METRICS_METRIC_VALUE_H_

#include <optional>
#include <string>

#include "server/metrics/metrics.h"

namespace ssecast {

// For tests: scrapes `metrics` as an exposer would (the sampler runs) and
// returns the value of `series` (its name and labels as in the text
// format, e.g. `ssecast_http_refusals_total{status="204"}`), if present.
std::optional<double> MetricValue(Metrics& metrics, const std::string& series);

}  // namespace ssecast

#endif  // SSECAST_SERVER_METRICS_METRIC_VALUE_H_
