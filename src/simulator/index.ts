// A local, stateful simulator of the Movilitas.Cloud Manufacturer V2 API (release serials and
// the authentication call), with fault injection. Used by the tests, the demo and the CLI.
export { startSimulator } from './server';
export {
  AUTH_PATH,
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  DEFAULT_CHANNEL_KEY,
  DEFAULT_STATIC_TOKEN,
  RELEASE_PATH,
  SAMPLE_PRODUCT_CODE,
  SAMPLE_SERIALS,
  SECOND_PRODUCT_CODE,
} from './constants';
export { DEFAULT_RANDOM_ACTIONS, PROXY_502_PAGE } from './faults';
export { gs1CheckDigit, isValidGtin14 } from './gs1';
export { TOKEN_FIELDS } from './types';
export type {
  FaultAction,
  FaultInjector,
  FaultRule,
  FaultsState,
  FaultTarget,
  ProductSeed,
  RandomFaultOptions,
  RecordedRequest,
  SerialStatus,
  Simulator,
  SimulatorCredentials,
  SimulatorOptions,
  SimulatorState,
  TokenField,
} from './types';
