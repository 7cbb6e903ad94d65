/**
 * Sekisho's KMIP library: the public face of src/kmip/. Nothing outside src/kmip/ may import
 * a deeper module (enforced by the `boundaries/layers` lint rule), and nothing in here
 * imports anything outside it.
 *
 * Layers, bottom up: ttlv (bytes ⇄ tree) → spec (tag and enumeration tables) → json (KMIP
 * JSON encoding) → messages (typed requests, responses, payloads) → transport (TLS) →
 * client / server.
 */
export {
  KMIP_ERROR_CODES,
  KmipCodecError,
  KmipError,
  KmipOperationError,
  hexTag,
  type KmipErrorCode,
  type KmipFailure,
} from './errors.ts';
export * from './ttlv/index.ts';
export * from './spec/index.ts';
export {
  fromKmipJson,
  toKmipJson,
  type KmipJsonItem,
  type KmipJsonValue,
} from './json/kmip-json.ts';
export {
  SUPPORTED_VERSIONS,
  chooseVersion,
  compareVersions,
  formatVersion,
  parseVersion,
  sameVersion,
  type ProtocolVersion,
} from './messages/protocol-version.ts';
export { attr, nameText, type Attribute } from './messages/attributes.ts';
export type { KeyBlock, ManagedObject } from './messages/managed-objects.ts';
export {
  encodeRequest,
  parseRequest,
  type RequestBatchItem,
  type RequestHeader,
  type RequestMessage,
  type UsernamePassword,
} from './messages/request.ts';
export {
  encodeResponse,
  parseResponse,
  type ResponseBatchItem,
  type ResponseHeader,
  type ResponseMessage,
} from './messages/response.ts';
export { queryRequestPayload, type QueryResult } from './messages/operations/query.ts';
export { discoverVersionsPayload } from './messages/operations/discover-versions.ts';
export type {
  CreateResponse,
  GetAttributesResponse,
  GetResponse,
  LocateRequest,
  RevokeRequest,
} from './messages/operations/objects.ts';
export {
  KmipConnection,
  KmipTransportError,
  type KmipTransportOptions,
  type TlsDetails,
  type TransportStage,
} from './transport/kmip-connection.ts';
export {
  DEFAULT_QUERY_FUNCTIONS,
  KmipClient,
  throwIfFailed,
  type BatchRequest,
  type KmipClientOptions,
} from './client/kmip-client.ts';
export {
  KmipServerCore,
  SERVER_OPERATIONS,
  type ClientContext,
  type ServerCoreOptions,
} from './server/server-core.ts';
export {
  KmipTlsServer,
  clientContext,
  type KmipTlsServerOptions,
} from './server/kmip-tls-server.ts';
export {
  MemoryObjectStore,
  SqliteObjectStore,
  type KmipObjectStore,
  type StoredObject,
} from './server/object-store.ts';
export {
  DEFAULT_ISKLM_VERSION,
  ISKLM_SERVER_TYPES,
  ISKLM_VENDOR,
  SERVER_INFO_ITEM_TAG,
  SERVER_PROFILES,
  makeIdentity,
  serverInformationPairs,
  type IdentityOptions,
  type IsklmServerType,
  type ServerIdentity,
  type ServerProfile,
} from './server/identity.ts';
