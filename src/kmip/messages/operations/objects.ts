/**
 * Payloads of the object operations: Create (§4.1), Register (§4.3), Get (§4.11),
 * Get Attributes (§4.12), Locate (§4.9), Activate (§4.19), Revoke (§4.20), Destroy (§4.21)
 * of KMIP 1.4, in their 1.x form (Template-Attribute, name-keyed attributes).
 */
import { Tag } from '../../spec/index.ts';
import type { TtlvStructure } from '../../ttlv/index.ts';
import {
  all,
  dateTime,
  enumeration,
  integer,
  invalidMessage,
  optional,
  optionalValue,
  required,
  requiredValue,
  struct,
  textString,
} from '../nodes.ts';
import {
  encodeAttribute,
  encodeTemplateAttribute,
  parseAttribute,
  parseTemplateAttribute,
  type Attribute,
} from '../attributes.ts';
import {
  encodeManagedObject,
  objectTypeOf,
  parseManagedObject,
  type ManagedObject,
} from '../managed-objects.ts';
import { opt } from '../request.ts';

// ---- Create ---------------------------------------------------------------------------

export interface CreateRequest {
  readonly objectType: number;
  readonly attributes: readonly Attribute[];
}
export interface CreateResponse {
  readonly objectType: number;
  readonly uniqueIdentifier: string;
  /** Attributes the server set implicitly, when it reports them. */
  readonly attributes: readonly Attribute[];
}

export function createRequestPayload(r: CreateRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    enumeration(Tag.ObjectType, r.objectType),
    encodeTemplateAttribute(r.attributes),
  ]);
}
export function parseCreateRequestPayload(p: TtlvStructure): CreateRequest {
  return {
    objectType: requiredValue(p, Tag.ObjectType, 'Enumeration'),
    attributes: parseTemplateAttribute(required(p, Tag.TemplateAttribute, 'Structure')),
  };
}
export function createResponsePayload(r: CreateResponse): TtlvStructure {
  return struct(Tag.ResponsePayload, [
    enumeration(Tag.ObjectType, r.objectType),
    textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    r.attributes.length ? encodeTemplateAttribute(r.attributes) : undefined,
  ]);
}
export function parseCreateResponsePayload(p: TtlvStructure): CreateResponse {
  const ta = optional(p, Tag.TemplateAttribute, 'Structure');
  return {
    objectType: requiredValue(p, Tag.ObjectType, 'Enumeration'),
    uniqueIdentifier: requiredValue(p, Tag.UniqueIdentifier, 'TextString'),
    attributes: ta ? parseTemplateAttribute(ta) : [],
  };
}

// ---- Register -------------------------------------------------------------------------

export interface RegisterRequest {
  readonly object: ManagedObject;
  readonly attributes: readonly Attribute[];
}
export function registerRequestPayload(r: RegisterRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    enumeration(Tag.ObjectType, objectTypeOf(r.object)),
    encodeTemplateAttribute(r.attributes),
    encodeManagedObject(r.object),
  ]);
}
export function parseRegisterRequestPayload(p: TtlvStructure): RegisterRequest {
  const objectType = requiredValue(p, Tag.ObjectType, 'Enumeration');
  return {
    object: parseManagedObject(objectType, p),
    attributes: parseTemplateAttribute(required(p, Tag.TemplateAttribute, 'Structure')),
  };
}

// ---- Unique Identifier only (Activate, Destroy; responses of Register, Revoke, …) ----------

/** Payload holding an optional Unique Identifier (request) or a required one (response). */
export function uidPayload(tag: number, uid: string | undefined): TtlvStructure {
  return struct(tag, [uid === undefined ? undefined : textString(Tag.UniqueIdentifier, uid)]);
}
export function parseUid(p: TtlvStructure): string | undefined {
  return optionalValue(p, Tag.UniqueIdentifier, 'TextString');
}
export function parseRequiredUid(p: TtlvStructure | undefined): string {
  if (!p) throw invalidMessage('the response has no payload');
  return requiredValue(p, Tag.UniqueIdentifier, 'TextString');
}

// ---- Get ------------------------------------------------------------------------------

export interface GetRequest {
  readonly uniqueIdentifier?: string;
  readonly keyFormatType?: number;
}
export interface GetResponse {
  readonly objectType: number;
  readonly uniqueIdentifier: string;
  readonly object: ManagedObject;
}
export function getRequestPayload(r: GetRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    r.uniqueIdentifier === undefined
      ? undefined
      : textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    r.keyFormatType === undefined ? undefined : enumeration(Tag.KeyFormatType, r.keyFormatType),
  ]);
}
export function parseGetRequestPayload(p: TtlvStructure): GetRequest {
  return {
    ...opt('uniqueIdentifier', optionalValue(p, Tag.UniqueIdentifier, 'TextString')),
    ...opt('keyFormatType', optionalValue(p, Tag.KeyFormatType, 'Enumeration')),
  };
}
export function getResponsePayload(r: GetResponse): TtlvStructure {
  return struct(Tag.ResponsePayload, [
    enumeration(Tag.ObjectType, r.objectType),
    textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    encodeManagedObject(r.object),
  ]);
}
export function parseGetResponsePayload(p: TtlvStructure | undefined): GetResponse {
  if (!p) throw invalidMessage('the Get response has no payload');
  const objectType = requiredValue(p, Tag.ObjectType, 'Enumeration');
  return {
    objectType,
    uniqueIdentifier: requiredValue(p, Tag.UniqueIdentifier, 'TextString'),
    object: parseManagedObject(objectType, p),
  };
}

// ---- Get Attributes -------------------------------------------------------------------

export interface GetAttributesRequest {
  readonly uniqueIdentifier?: string;
  /** Empty: every attribute. */
  readonly attributeNames: readonly string[];
}
export interface GetAttributesResponse {
  readonly uniqueIdentifier: string;
  readonly attributes: readonly Attribute[];
}
export function getAttributesRequestPayload(r: GetAttributesRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    r.uniqueIdentifier === undefined
      ? undefined
      : textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    ...r.attributeNames.map((n) => textString(Tag.AttributeName, n)),
  ]);
}
export function parseGetAttributesRequestPayload(p: TtlvStructure): GetAttributesRequest {
  return {
    ...opt('uniqueIdentifier', optionalValue(p, Tag.UniqueIdentifier, 'TextString')),
    attributeNames: all(p, Tag.AttributeName, 'TextString').map((n) => n.value),
  };
}
export function getAttributesResponsePayload(r: GetAttributesResponse): TtlvStructure {
  return struct(Tag.ResponsePayload, [
    textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    ...r.attributes.map(encodeAttribute),
  ]);
}
export function parseGetAttributesResponsePayload(
  p: TtlvStructure | undefined,
): GetAttributesResponse {
  if (!p) throw invalidMessage('the Get Attributes response has no payload');
  return {
    uniqueIdentifier: requiredValue(p, Tag.UniqueIdentifier, 'TextString'),
    attributes: all(p, Tag.Attribute, 'Structure').map(parseAttribute),
  };
}

// ---- Locate ---------------------------------------------------------------------------

export interface LocateRequest {
  readonly maximumItems?: number;
  /** Every attribute must match (KMIP 1.4 §4.9). */
  readonly attributes: readonly Attribute[];
}
export function locateRequestPayload(r: LocateRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    r.maximumItems === undefined ? undefined : integer(Tag.MaximumItems, r.maximumItems),
    ...r.attributes.map(encodeAttribute),
  ]);
}
export function parseLocateRequestPayload(p: TtlvStructure): LocateRequest {
  return {
    ...opt('maximumItems', optionalValue(p, Tag.MaximumItems, 'Integer')),
    attributes: all(p, Tag.Attribute, 'Structure').map(parseAttribute),
  };
}
export function locateResponsePayload(uids: readonly string[]): TtlvStructure {
  return struct(
    Tag.ResponsePayload,
    uids.map((u) => textString(Tag.UniqueIdentifier, u)),
  );
}
export function parseLocateResponsePayload(p: TtlvStructure | undefined): string[] {
  return p ? all(p, Tag.UniqueIdentifier, 'TextString').map((n) => n.value) : [];
}

// ---- Revoke ---------------------------------------------------------------------------

export interface RevokeRequest {
  readonly uniqueIdentifier?: string;
  /** Revocation Reason Code (1 Unspecified, 2 Key Compromise, … 6 Cessation of Operation). */
  readonly reasonCode: number;
  readonly message?: string;
  /** Required by the spec when the reason is a compromise. */
  readonly compromiseOccurrenceDate?: Date;
}
export function revokeRequestPayload(r: RevokeRequest): TtlvStructure {
  return struct(Tag.RequestPayload, [
    r.uniqueIdentifier === undefined
      ? undefined
      : textString(Tag.UniqueIdentifier, r.uniqueIdentifier),
    struct(Tag.RevocationReason, [
      enumeration(Tag.RevocationReasonCode, r.reasonCode),
      r.message === undefined ? undefined : textString(Tag.RevocationMessage, r.message),
    ]),
    r.compromiseOccurrenceDate === undefined
      ? undefined
      : dateTime(Tag.CompromiseOccurrenceDate, r.compromiseOccurrenceDate),
  ]);
}
export function parseRevokeRequestPayload(p: TtlvStructure): RevokeRequest {
  const reason = required(p, Tag.RevocationReason, 'Structure');
  const date = optionalValue(p, Tag.CompromiseOccurrenceDate, 'DateTime');
  return {
    ...opt('uniqueIdentifier', optionalValue(p, Tag.UniqueIdentifier, 'TextString')),
    reasonCode: requiredValue(reason, Tag.RevocationReasonCode, 'Enumeration'),
    ...opt('message', optionalValue(reason, Tag.RevocationMessage, 'TextString')),
    ...opt(
      'compromiseOccurrenceDate',
      date === undefined ? undefined : new Date(Number(date) * 1000),
    ),
  };
}
