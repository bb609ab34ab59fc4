import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScanObserver } from '../service/scan-observer';

/** CloudWatch metrics of every scan (Powertools, EMF): counts, layer cache use, durations, failures by kind. */
export function metricsObserver(metrics: Metrics): ScanObserver {
  return {
    scanFinished(event) {
      metrics.addMetric('ScansCompleted', MetricUnit.Count, 1);
      metrics.addMetric('LayersFromCache', MetricUnit.Count, event.layersFromCache);
      metrics.addMetric('LayersFetched', MetricUnit.Count, event.layers - event.layersFromCache);
      metrics.addMetric('ScanDuration', MetricUnit.Milliseconds, event.durationsMs.total);
    },
    scanFailed(event) {
      // One metric per kind of failure (Unavailable, NotFound, DeadlineExceeded…): a dimension of its own.
      const failure = metrics.singleMetric();
      failure.addDimension('kind', event.kind);
      failure.addMetric('ScansFailed', MetricUnit.Count, 1);
    },
  };
}
