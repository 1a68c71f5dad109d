// Fixed values of the simulator: demo credentials, paths and the vendor's message texts.

export const DEFAULT_API_KEY = 'sim-api-key';
export const DEFAULT_API_SECRET = 'sim-api-secret';
export const DEFAULT_STATIC_TOKEN = 'sim-static-token';
/** The channel key of the vendor's sample request. */
export const DEFAULT_CHANNEL_KEY = 'Ky1SpfEXmjj05fW3USBFD3pgoEi9AQ29Atsnj4Zy';
/** The vendor sample's product code with its check digit corrected (the sample ends in 4). */
export const SAMPLE_PRODUCT_CODE = '01234567891231';
/** The serials of the vendor's sample request; Assigned in the default seed. */
export const SAMPLE_SERIALS: readonly string[] = ['DDGHG6NTP162PDWXEEAF', 'V3HBM4FNP3CHK006WBPT'];
/** The second product of the default seed (GS1's example GTIN-14). */
export const SECOND_PRODUCT_CODE = '09506000134352';

export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;
export const DEFAULT_LOG_LIMIT = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export const AUTH_PATH = '/v1/api_auth';
export const RELEASE_PATH = '/v1/manufacturer/v2/api/serials/release';
export const CONTROL_PREFIX = '/_sim';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Message texts: the vendor's where it has one, otherwise our own (marked). */
export const MSG = {
  authOk: 'Authentication successful',
  authRejected: 'Invalid API key or secret', // ours
  noToken: 'No token provided', // vendor, ERR0001
  badToken: 'Failed to authenticate token', // vendor, ERR0000
  channel: 'Channel ID is missing or it needs to be in correct format', // vendor
  unparsable: 'Request body could not be parsed', // vendor
  validation: 'Validation error', // vendor
  noProduct: "Product doesn't exist", // vendor
  released: 'Serials released', // vendor
  tooLarge: 'Request entity too large', // ours
  notFound: 'Not found', // ours
  methodNotAllowed: 'Method not allowed', // ours
} as const;

export const CODE_NO_TOKEN = 'ERR0001';
export const CODE_BAD_TOKEN = 'ERR0000';
