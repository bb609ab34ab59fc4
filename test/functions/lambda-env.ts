/** Tables the scan functions read, as the stateless stack names them in these tests. */
export const SCAN_TABLES = { images: 'lamina-images', layerIndex: 'lamina-layer-index', inFlight: 'lamina-inflight' };

/** The environment every function gets here: local credentials, DynamoDB at dynalite, quiet Powertools. */
export function lambdaBaseEnv(dynamoEndpoint: string, logLevel = 'ERROR'): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: logLevel,
  };
}

/** …plus the scan tables the API and worker functions read. */
export function scanFunctionEnv(dynamoEndpoint: string): Record<string, string> {
  return {
    ...lambdaBaseEnv(dynamoEndpoint),
    LAMINA_IMAGES_TABLE: SCAN_TABLES.images,
    LAMINA_LAYER_INDEX_TABLE: SCAN_TABLES.layerIndex,
    LAMINA_INFLIGHT_TABLE: SCAN_TABLES.inFlight,
  };
}
