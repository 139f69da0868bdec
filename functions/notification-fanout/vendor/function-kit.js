// GENERATED FILE: do not edit. Bundled by scripts/vendor-functions.ts from function-kit/src/index.ts
// (with the project modules it imports); regenerate with `npm run vendor`.


// events/src/codec-error.ts
var CodecError = class extends Error {
  code;
  field;
  constructor(code, message, field) {
    super(message);
    this.name = "CodecError";
    this.code = code;
    if (field !== void 0) this.field = field;
  }
};

// events/src/event-data-schemas.ts
import { z } from "zod";

// events/src/event-types.ts
var EventTypes = {
  TaskCreated: "dev.taskflow.task.created",
  TaskUpdated: "dev.taskflow.task.updated",
  TaskCompleted: "dev.taskflow.task.completed",
  TaskDeleted: "dev.taskflow.task.deleted",
  ReminderDue: "dev.taskflow.reminder.due",
  NotificationSent: "dev.taskflow.notification.sent"
};
var eventTypeList = Object.values(EventTypes);
var eventTypeSet = new Set(eventTypeList);
function isEventType(type) {
  return typeof type === "string" && eventTypeSet.has(type);
}
var dataSchemaMajorVersions = {
  "dev.taskflow.task.created": 1,
  "dev.taskflow.task.updated": 1,
  "dev.taskflow.task.completed": 1,
  "dev.taskflow.task.deleted": 1,
  "dev.taskflow.reminder.due": 1,
  "dev.taskflow.notification.sent": 1
};
var dataSchemaBaseUri = "https://schemas.taskflow.dev/events";
function dataSchemaUri(type) {
  return `${dataSchemaBaseUri}/${type}/v${dataSchemaMajorVersions[type]}.json`;
}

// events/src/event-data-schemas.ts
var isoDateTime = z.iso.datetime({ offset: true });
var taskStatusSchema = z.enum(["open", "in_progress", "done"]);
var taskPrioritySchema = z.enum(["low", "normal", "high", "urgent"]);
var taskSnapshotSchema = z.object({
  id: z.uuid(),
  title: z.string().min(1),
  description: z.string().nullable(),
  status: taskStatusSchema,
  priority: taskPrioritySchema,
  dueAt: isoDateTime.nullable(),
  remindAt: isoDateTime.nullable(),
  assignee: z.string().min(1).nullable(),
  watchers: z.array(z.string().min(1)),
  tags: z.array(z.string().min(1)),
  createdBy: z.string().min(1),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  version: z.int().min(1)
});
var changeableTaskFields = [
  "title",
  "description",
  "status",
  "priority",
  "dueAt",
  "remindAt",
  "assignee",
  "watchers",
  "tags"
];
var taskFieldValueSchema = z.union([z.string(), z.number(), z.array(z.string()), z.null()]);
var taskChangesSchema = z.partialRecord(
  z.enum(changeableTaskFields),
  z.object({ previous: taskFieldValueSchema, current: taskFieldValueSchema })
).refine((changes) => Object.keys(changes).length > 0, { message: "at least one change is required" });
var taskCreatedDataSchema = z.object({ task: taskSnapshotSchema });
var taskUpdatedDataSchema = z.object({ task: taskSnapshotSchema, changes: taskChangesSchema });
var taskCompletedDataSchema = z.object({
  task: taskSnapshotSchema.extend({ status: z.literal("done") }),
  completedAt: isoDateTime
});
var taskDeletedDataSchema = z.object({ task: taskSnapshotSchema });
var reminderDueDataSchema = z.object({
  taskId: z.uuid(),
  title: z.string().min(1),
  remindAt: isoDateTime,
  dueAt: isoDateTime.nullable(),
  assignee: z.string().min(1).nullable(),
  watchers: z.array(z.string().min(1)),
  createdBy: z.string().min(1)
});
var notificationChannelSchema = z.enum(["in_app", "webhook", "email"]);
var notificationSentDataSchema = z.object({
  notificationId: z.string().min(1),
  recipient: z.string().min(1),
  channel: notificationChannelSchema,
  taskId: z.uuid(),
  /** The `id` of the event that caused this notification (a task or reminder event). */
  causeEventId: z.string().min(1)
});
var eventDataSchemas = {
  [EventTypes.TaskCreated]: taskCreatedDataSchema,
  [EventTypes.TaskUpdated]: taskUpdatedDataSchema,
  [EventTypes.TaskCompleted]: taskCompletedDataSchema,
  [EventTypes.TaskDeleted]: taskDeletedDataSchema,
  [EventTypes.ReminderDue]: reminderDueDataSchema,
  [EventTypes.NotificationSent]: notificationSentDataSchema
};

// events/src/trace-context.ts
import {
  context,
  isSpanContextValid,
  TraceFlags,
  trace
} from "@opentelemetry/api";
var traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
var W3CTraceContextPropagator = class {
  inject(ctx, carrier, setter) {
    const spanContext = trace.getSpanContext(ctx);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, "0");
    setter.set(carrier, "traceparent", `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    const state = spanContext.traceState?.serialize();
    if (state) setter.set(carrier, "tracestate", state);
  }
  extract(ctx, carrier, getter) {
    const header = getter.get(carrier, "traceparent");
    const traceparent = Array.isArray(header) ? header[0] : header;
    const match = traceparent ? traceparentPattern.exec(traceparent) : null;
    if (!match) return ctx;
    const spanContext = {
      traceId: match[1],
      spanId: match[2],
      traceFlags: Number.parseInt(match[3], 16),
      isRemote: true
    };
    if (!isSpanContextValid(spanContext)) return ctx;
    return trace.setSpanContext(ctx, spanContext);
  }
  fields() {
    return ["traceparent", "tracestate"];
  }
};
var propagator = new W3CTraceContextPropagator();
var recordSetter = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  }
};
var recordGetter = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === "string" ? value : void 0;
  }
};
function activeTraceContext() {
  const carrier = {};
  propagator.inject(context.active(), carrier, recordSetter);
  return carrier;
}
function traceContextOf(event, base = context.active()) {
  return propagator.extract(base, event, recordGetter);
}

// events/src/uuid-v7.ts
import { randomFillSync } from "node:crypto";
import { v7 } from "uuid";
var idBytes = 16;
var pool = new Uint8Array(idBytes * 256);
var offset = pool.length;
var lastMs = Number.NEGATIVE_INFINITY;
var counter = 0;
function randomBytes16() {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + idBytes);
  offset += idBytes;
  return bytes;
}
function uuidv7() {
  const random = randomBytes16();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = (random[6] & 127) << 24 | random[7] << 16 | random[8] << 8 | random[9];
  } else {
    counter = counter + 1 | 0;
    if (counter === 0) lastMs++;
  }
  return v7({ random, msecs: lastMs, seq: counter });
}

// events/src/create-event.ts
var EventDataError = class extends Error {
  field;
  issues;
  constructor(field, message, issues = []) {
    super(`${field}: ${message}`);
    this.name = "EventDataError";
    this.field = field;
    this.issues = issues;
  }
};
function issuePath(prefix, issue) {
  return [prefix, ...issue.path.map(String)].join(".");
}
function taskIdOf(data) {
  const value = data;
  const id = value.task?.id ?? value.taskId;
  return typeof id === "string" ? id : void 0;
}
function createEvent(input) {
  if (!isEventType(input.type))
    throw new EventDataError("type", `${String(input.type)} is not a taskflow event type`);
  if (typeof input.source !== "string" || input.source === "")
    throw new EventDataError("source", "must be a non-empty URI-reference");
  const parsed = eventDataSchemas[input.type].safeParse(input.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EventDataError(issuePath("data", issue), issue.message, parsed.error.issues);
  }
  const time = input.time === void 0 ? /* @__PURE__ */ new Date() : new Date(input.time);
  if (Number.isNaN(time.getTime())) throw new EventDataError("time", "is not a valid date");
  const subject = input.subject ?? taskIdOf(parsed.data);
  const partitionkey = input.partitionKey ?? subject;
  const event = {
    specversion: "1.0",
    id: input.id ?? uuidv7(),
    source: input.source,
    type: input.type,
    time: time.toISOString(),
    datacontenttype: "application/json",
    dataschema: dataSchemaUri(input.type),
    data: parsed.data
  };
  if (subject !== void 0) event.subject = subject;
  if (partitionkey !== void 0) event.partitionkey = partitionkey;
  if (input.correlationId !== void 0) event.correlationid = input.correlationId;
  if (input.causationId !== void 0) event.causationid = input.causationId;
  if (input.actor !== void 0) event.actor = input.actor;
  const trace4 = activeTraceContext();
  if (trace4.traceparent !== void 0) event.traceparent = trace4.traceparent;
  if (trace4.tracestate !== void 0) event.tracestate = trace4.tracestate;
  return event;
}

// events/src/result.ts
function ok(value) {
  return { ok: true, value };
}
function err(error) {
  return { ok: false, error };
}

// events/src/cloudevent-attributes.ts
var attributeNamePattern = /^[a-z0-9]+$/;
var timestampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;
var requiredAttributes = ["specversion", "id", "source", "type"];
var strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodeUtf8(bytes, field) {
  if (bytes.length <= 256 && isAscii(bytes)) {
    return ok(Buffer.isBuffer(bytes) ? bytes.toString("latin1") : String.fromCharCode(...bytes));
  }
  try {
    return ok(strictUtf8.decode(bytes));
  } catch {
    return err(new CodecError("invalid-utf8", `${field} is not valid UTF-8`, field));
  }
}
function isAscii(bytes) {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}
function mediaTypeOf(contentType) {
  if (contentType === void 0) return void 0;
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
function isJsonMediaType(mediaType) {
  return mediaType === "application/json" || mediaType === "text/json" || !!mediaType?.endsWith("+json");
}
function isCloudEventsFormat(mediaType) {
  return mediaType?.startsWith("application/cloudevents") === true;
}
var structuredJsonFormat = "application/cloudevents+json";
function isValidAttributeName(name) {
  return attributeNamePattern.test(name);
}
function dataFromBytes(bytes, contentType) {
  if (bytes.length === 0) return void 0;
  const mediaType = mediaTypeOf(contentType);
  const json2 = isJsonMediaType(mediaType);
  if (!json2 && !mediaType?.startsWith("text/"))
    return ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const text = decodeUtf8(bytes, "data");
  if (!text.ok || !json2) return text;
  return parseJson(text.value, "data");
}
function dataFromText(text, contentType) {
  if (text.length === 0) return void 0;
  const mediaType = mediaTypeOf(contentType);
  if (isJsonMediaType(mediaType)) return parseJson(text, "data");
  if (mediaType?.startsWith("text/")) return ok(text);
  return ok(Buffer.from(text, "utf8"));
}
function bodyContentType(event) {
  if (event.datacontenttype !== void 0) return event.datacontenttype;
  if (event.data === void 0 && event.data_base64 === void 0) return void 0;
  return event.data instanceof Uint8Array || event.data_base64 !== void 0 ? "application/octet-stream" : "application/json";
}
function parseJson(text, field) {
  try {
    return ok(JSON.parse(text));
  } catch (cause) {
    return err(
      new CodecError("invalid-json", `${field} is not valid JSON: ${cause.message}`, field)
    );
  }
}
function dataToBytes(event) {
  const { data } = event;
  if (data === void 0) {
    return typeof event.data_base64 === "string" ? Buffer.from(event.data_base64, "base64") : null;
  }
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === "string" && !isJsonMediaType(mediaTypeOf(event.datacontenttype ?? "application/json"))) {
    return Buffer.from(data, "utf8");
  }
  return Buffer.from(JSON.stringify(data), "utf8");
}
function validateAttributes(event) {
  for (const name of requiredAttributes) {
    const value = event[name];
    if (value === void 0 || value === "") {
      return new CodecError("missing-attribute", `the CloudEvent has no ${name}`, name);
    }
  }
  if (event.specversion !== "1.0") {
    return new CodecError(
      "invalid-attribute",
      `specversion ${event.specversion} is not supported (only 1.0)`,
      "specversion"
    );
  }
  if (event.time !== void 0 && !timestampPattern.test(event.time)) {
    return new CodecError("invalid-attribute", "time is not an RFC 3339 timestamp", "time");
  }
  return void 0;
}
function recordFromStructured(parsed) {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return err(new CodecError("invalid-json", "a structured CloudEvent must be a JSON object", "value"));
  }
  const record = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "data") {
      record.data = value;
      continue;
    }
    if (name === "data_base64") {
      if (typeof value !== "string") return err(invalidAttribute(name));
      record.data = Buffer.from(value, "base64");
      continue;
    }
    if (!isValidAttributeName(name)) return err(invalidAttribute(name));
    if (value === null) continue;
    if (typeof value === "string") record[name] = value;
    else if (typeof value === "number" || typeof value === "boolean") record[name] = String(value);
    else return err(invalidAttribute(name));
  }
  const event = record;
  const invalid = validateAttributes(event);
  return invalid ? err(invalid) : ok(event);
}
function structuredJson(event) {
  const { data, data_base64, ...attributes } = event;
  const body = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== void 0) body[name] = value;
  }
  if (data instanceof Uint8Array)
    body.data_base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  else if (data !== void 0) body.data = data;
  else if (data_base64 !== void 0) body.data_base64 = data_base64;
  return JSON.stringify(body);
}
function invalidAttribute(name, why = "has an invalid name or value") {
  return new CodecError("invalid-attribute", `attribute ${name} ${why}`, name);
}
function attributeString(value) {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

// events/src/http/header-values.ts
var needsEncoding = /[^\x21\x23\x24\x26-\x7e]/;
function percentEncodeHeaderValue(value) {
  if (!needsEncoding.test(value)) return value;
  let encoded = "";
  for (const char of value) {
    if (!needsEncoding.test(char)) {
      encoded += char;
      continue;
    }
    for (const byte of Buffer.from(char, "utf8"))
      encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}
var hexPair = /^[0-9a-fA-F]{2}$/;
function decodeHeaderValue(raw, attribute) {
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  if (!value.includes("%")) return ok(value);
  const bytes = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code !== 37) {
      if (code > 127) bytes.push(...Buffer.from(value[i], "utf8"));
      else bytes.push(code);
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!hexPair.test(hex)) return err(invalidAttribute(attribute, "has a malformed percent-encoding"));
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return decodeUtf8(Uint8Array.from(bytes), `header ce-${attribute}`);
}

// events/src/http/http-codec.ts
var ceHeaderPrefix = "ce-";
function encode(encodable, opts) {
  const event = encodable;
  if (opts?.mode === "structured") {
    return { headers: { "content-type": structuredJsonFormat }, body: structuredJson(event) };
  }
  const headers = {};
  for (const name in event) {
    const value = event[name];
    if (value === void 0 || name === "data" || name === "data_base64" || name === "datacontenttype")
      continue;
    headers[ceHeaderPrefix + name] = percentEncodeHeaderValue(attributeString(value));
  }
  const contentType = bodyContentType(event);
  if (contentType !== void 0) headers["content-type"] = contentType;
  const bytes = dataToBytes(event);
  if (bytes === null) return { headers, body: "" };
  const mediaType = mediaTypeOf(contentType);
  const text = isJsonMediaType(mediaType) || !!mediaType?.startsWith("text/");
  return { headers, body: text ? bytes.toString("utf8") : bytes };
}
function headerOf(value) {
  return Array.isArray(value) ? value[value.length - 1] : value;
}
function decode(msg, opts) {
  let contentType;
  let event;
  for (const name in msg.headers) {
    const raw = headerOf(msg.headers[name]);
    if (raw === void 0) continue;
    const lower = name.toLowerCase();
    if (lower === "content-type") {
      contentType = raw;
      continue;
    }
    if (!lower.startsWith(ceHeaderPrefix)) continue;
    const attribute = lower.slice(ceHeaderPrefix.length);
    if (!isValidAttributeName(attribute) || attribute === "data") return err(invalidAttribute(attribute));
    const value = decodeHeaderValue(raw, attribute);
    if (!value.ok) return value;
    event ??= {};
    event[attribute] = value.value;
  }
  if (isCloudEventsFormat(mediaTypeOf(contentType))) return decodeStructured(msg.body, contentType);
  if (event?.specversion === void 0) {
    return err(new CodecError("not-cloudevent", "the message has no CloudEvent headers", "headers"));
  }
  const binary = event;
  if (contentType !== void 0) binary.datacontenttype = contentType;
  const invalid = validateAttributes(binary);
  if (invalid) return err(invalid);
  if (opts?.opaqueData && msg.body !== void 0 && msg.body.length > 0) {
    binary.data = typeof msg.body === "string" ? Buffer.from(msg.body, "utf8") : msg.body;
  } else if (msg.body !== void 0) {
    const data = typeof msg.body === "string" ? dataFromText(msg.body, contentType) : dataFromBytes(msg.body, contentType);
    if (data && !data.ok) return data;
    if (data) binary.data = data.value;
  }
  return ok(binary);
}
function decodeStructured(body, contentType) {
  if (mediaTypeOf(contentType) !== structuredJsonFormat) {
    return err(
      new CodecError("unsupported-format", `event format ${contentType} is not supported`, "content-type")
    );
  }
  if (body === void 0 || body.length === 0) {
    return err(new CodecError("invalid-json", "a structured message needs a body", "body"));
  }
  const text = typeof body === "string" ? ok(body) : decodeUtf8(body, "body");
  if (!text.ok) return text;
  const parsed = parseJson(text.value, "body");
  return parsed.ok ? recordFromStructured(parsed.value) : parsed;
}
function isEvent(msg) {
  return decode(msg).ok;
}
var httpCodec = { encode, decode, isEvent };

// events/src/kafka/kafka-codec.ts
var defaultMaxValueBytes = 1024 * 1024;
var emptyValue = Buffer.alloc(0);

// events/src/parse-event.ts
var optionalStringAttributes = [
  "subject",
  "partitionkey",
  "correlationid",
  "causationid",
  "actor",
  "traceparent",
  "tracestate"
];
var maxAttributeBytes = 1024;
function parseEvent(input) {
  const record = input;
  const { type } = record;
  if (!isEventType(type))
    return err(new CodecError("unknown-type", `${String(type)} is not a taskflow event type`, "type"));
  const time = record.time instanceof Date ? record.time.toISOString() : record.time;
  const attributes = time === record.time ? record : { ...record, time };
  const invalid = validateAttributes(attributes) ?? oversizedAttribute(record);
  if (invalid) return err(invalid);
  if (time === void 0)
    return err(new CodecError("missing-attribute", "the CloudEvent has no time", "time"));
  const contentType = record.datacontenttype;
  if (contentType !== void 0 && !isJsonMediaType(mediaTypeOf(contentType))) {
    return err(
      new CodecError("invalid-attribute", `datacontenttype ${contentType} is not JSON`, "datacontenttype")
    );
  }
  const expectedSchema = dataSchemaUri(type);
  if (record.dataschema !== void 0 && record.dataschema !== expectedSchema) {
    return err(
      new CodecError(
        "schema-mismatch",
        `dataschema ${record.dataschema} is not ${expectedSchema}`,
        "dataschema"
      )
    );
  }
  const parsed = eventDataSchemas[type].safeParse(record.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issuePath("data", issue);
    return err(new CodecError("schema-mismatch", `${field}: ${issue.message}`, field));
  }
  const event = {
    specversion: "1.0",
    id: record.id,
    source: record.source,
    type,
    time,
    datacontenttype: "application/json",
    dataschema: expectedSchema,
    data: parsed.data
  };
  for (const name of optionalStringAttributes) {
    const value = record[name];
    if (value === void 0 || value === null) continue;
    if (typeof value !== "string") {
      return err(new CodecError("invalid-attribute", `attribute ${name} must be a string`, name));
    }
    event[name] = value;
  }
  return ok(event);
}
function oversizedAttribute(record) {
  for (const name of ["id", "source", ...optionalStringAttributes]) {
    const value = record[name];
    if (typeof value === "string" && Buffer.byteLength(value) > maxAttributeBytes) {
      return new CodecError(
        "invalid-attribute",
        `attribute ${name} is longer than ${maxAttributeBytes} bytes`,
        name
      );
    }
  }
  return void 0;
}

// events/src/task-change-events.ts
var taskChangeEventTypes = [
  EventTypes.TaskCreated,
  EventTypes.TaskUpdated,
  EventTypes.TaskCompleted,
  EventTypes.TaskDeleted
];
var taskChangeTypes = new Set(taskChangeEventTypes);
function isTaskChangeEvent(event) {
  return taskChangeTypes.has(event.type);
}

// platform/src/auth/bearer-verifier.ts
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify
} from "jose";
var userIdPattern = /^[A-Za-z0-9._@:|-]{1,128}$/;
var devTokenPrefix = "dev.";
function createBearerVerifier(settings) {
  const verifyToken = tokenVerifierFor(settings);
  return {
    mode: settings.mode,
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      if (!token.ok) return token;
      return verifyToken(token.value);
    }
  };
}
function bearerToken(header) {
  if (header === void 0 || header.trim() === "")
    return { ok: false, reason: "missing Authorization header" };
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  if (match === null) return { ok: false, reason: 'Authorization must be "Bearer <token>"' };
  return { ok: true, value: match[1] };
}
function tokenVerifierFor(settings) {
  switch (settings.mode) {
    case "development":
      return async (token) => {
        if (!token.startsWith(devTokenPrefix)) {
          return { ok: false, reason: 'development mode expects "Bearer dev.<userId>"' };
        }
        const userId = token.slice(devTokenPrefix.length);
        if (!userIdPattern.test(userId)) return { ok: false, reason: "invalid development user id" };
        return { ok: true, principal: { userId, claims: { sub: userId } } };
      };
    case "hs256": {
      const key = new TextEncoder().encode(settings.secret);
      return (token) => verifyJwt(token, key, ["HS256"], settings);
    }
    case "jwks": {
      const keySet = createRemoteJWKSet(new URL(settings.jwksUrl));
      return (token) => verifyJwt(token, keySet, void 0, settings);
    }
  }
}
async function verifyJwt(token, key, algorithms2, settings) {
  try {
    const options = {
      // A token without `exp` would be valid forever: refused.
      requiredClaims: ["exp"],
      ...algorithms2 === void 0 ? {} : { algorithms: algorithms2 },
      ...settings.issuer === void 0 ? {} : { issuer: settings.issuer },
      ...settings.audience === void 0 ? {} : { audience: settings.audience }
    };
    const { payload } = typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    const userId = payload.sub;
    if (typeof userId !== "string" || !userIdPattern.test(userId)) {
      return { ok: false, reason: 'token has no valid "sub" claim' };
    }
    return { ok: true, principal: { userId, claims: payload } };
  } catch (error) {
    return rejection(error);
  }
}
function rejection(error) {
  if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: "token expired" };
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return { ok: false, reason: `claim "${error.claim}" rejected: ${error.reason}` };
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return { ok: false, reason: "bad signature" };
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { ok: false, reason: "no key matches the token" };
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return { ok: false, reason: "key set unavailable", unavailable: true };
  }
  if (error instanceof joseErrors.JOSEError) return { ok: false, reason: `invalid token (${error.code})` };
  if (error instanceof TypeError) return { ok: false, reason: "key set unavailable", unavailable: true };
  return { ok: false, reason: "invalid token" };
}

// platform/src/auth/log-redaction.ts
var credentialKeys = [
  "authorization",
  "cookie",
  "password",
  "secret",
  "token",
  "AUTH_JWT_SECRET",
  "DATABASE_URL",
  "SMTP_URL",
  "KAFKA_SASL_PASSWORD"
];
var logRedaction = {
  paths: credentialKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  censor: "[redacted]"
};

// platform/src/auth/settings.ts
import { z as z2 } from "zod";

// platform/src/env.ts
function trimmedOrUnset(value) {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? void 0 : trimmed;
}
function unsetWhenEmpty(value) {
  return value === "" ? void 0 : value;
}

// platform/src/auth/settings.ts
var authVariables = {
  NODE_ENV: z2.preprocess(
    trimmedOrUnset,
    z2.enum(["development", "test", "production"]).default("development")
  ),
  AUTH_JWT_SECRET: z2.preprocess(
    trimmedOrUnset,
    z2.string().min(32, "an HS256 secret needs at least 32 bytes").optional()
  ),
  AUTH_JWKS_URL: z2.preprocess(trimmedOrUnset, z2.url().optional()),
  AUTH_ISSUER: z2.preprocess(trimmedOrUnset, z2.string().optional()),
  AUTH_AUDIENCE: z2.preprocess(trimmedOrUnset, z2.string().optional())
};
function authIssues(env) {
  if (env.AUTH_JWT_SECRET !== void 0 && env.AUTH_JWKS_URL !== void 0)
    return [{ path: ["AUTH_JWKS_URL"], message: "set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both" }];
  if (env.NODE_ENV === "production" && env.AUTH_JWT_SECRET === void 0 && env.AUTH_JWKS_URL === void 0)
    return [
      {
        path: ["AUTH_JWT_SECRET"],
        message: "production needs AUTH_JWT_SECRET or AUTH_JWKS_URL (development tokens are refused)"
      }
    ];
  return [];
}
function authSettingsOf(env) {
  const claims = {
    ...env.AUTH_ISSUER === void 0 ? {} : { issuer: env.AUTH_ISSUER },
    ...env.AUTH_AUDIENCE === void 0 ? {} : { audience: env.AUTH_AUDIENCE }
  };
  if (env.AUTH_JWT_SECRET !== void 0) return { mode: "hs256", secret: env.AUTH_JWT_SECRET, ...claims };
  if (env.AUTH_JWKS_URL !== void 0) return { mode: "jwks", jwksUrl: env.AUTH_JWKS_URL, ...claims };
  return { mode: "development" };
}

// platform/src/telemetry/telemetry.ts
import { DiagLogLevel, diag } from "@opentelemetry/api";
import { z as z3 } from "zod";
var unsetWhenBlank = (value) => {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? void 0 : trimmed;
};
var otlpEndpoint = z3.preprocess(unsetWhenBlank, z3.url({ protocol: /^https?$/ }).optional());
var otlpProtocol = z3.preprocess(unsetWhenBlank, z3.enum(["grpc", "http/protobuf", "http/json"]).optional());
var lowerCase = (value) => {
  const unset = unsetWhenBlank(value);
  return typeof unset === "string" ? unset.toLowerCase() : unset;
};
var telemetryVariables = {
  OTEL_SDK_DISABLED: z3.preprocess(lowerCase, z3.enum(["true", "false"]).optional()),
  OTEL_TRACES_EXPORTER: z3.preprocess(
    unsetWhenBlank,
    z3.string().regex(/^(otlp|console|none)(,(otlp|console|none))*$/, "otlp, console or none (comma-separated)").optional()
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_SERVICE_NAME: z3.preprocess(unsetWhenBlank, z3.string().optional()),
  OTEL_RESOURCE_ATTRIBUTES: z3.preprocess(unsetWhenBlank, z3.string().optional()),
  OTEL_LOG_LEVEL: z3.preprocess(
    lowerCase,
    z3.enum(["none", "error", "warn", "info", "debug", "verbose", "all"]).default("info")
  )
};
function telemetrySettingsOf(env, serviceName) {
  const exporters = env.OTEL_TRACES_EXPORTER?.split(",") ?? [];
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const asked = exporters.length > 0 ? !exporters.includes("none") : endpoint !== void 0;
  const named = env.OTEL_SERVICE_NAME !== void 0 || (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",").some((pair) => pair.trim().startsWith("service.name="));
  return {
    tracing: env.OTEL_SDK_DISABLED !== "true" && asked,
    defaultServiceName: named ? void 0 : serviceName,
    sdkLogLevel: env.OTEL_LOG_LEVEL
  };
}
function logDiagnosticsThrough(logger, sdkLogLevel) {
  diag.setLogger(diagThrough(logger.child({ component: "opentelemetry" })), {
    logLevel: diagLevel(sdkLogLevel),
    suppressOverrideMessage: true
  });
}
function tracingOn(sdk, logger) {
  logger.info("OpenTelemetry tracing on (OTEL_* settings)");
  return {
    async shutdown() {
      try {
        await sdk.shutdown();
      } catch (error) {
        logger.warn({ err: error }, "OpenTelemetry shutdown failed; buffered spans may be lost");
      }
    }
  };
}
function diagThrough(logger) {
  return {
    error: (message, ...args) => logger.error({ args }, message),
    warn: (message, ...args) => logger.warn({ args }, message),
    info: (message, ...args) => logger.info({ args }, message),
    debug: (message, ...args) => logger.debug({ args }, message),
    verbose: (message, ...args) => logger.trace({ args }, message)
  };
}
var diagLevels = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL
};
function diagLevel(name) {
  return diagLevels[name] ?? DiagLogLevel.INFO;
}

// function-kit/src/problem.ts
function problem(status, title, detail, errors) {
  return {
    statusCode: status,
    headers: { "content-type": "application/problem+json" },
    body: {
      type: "about:blank",
      title,
      status,
      ...detail === void 0 ? {} : { detail },
      ...errors === void 0 ? {} : { errors }
    }
  };
}
function json(body, status = 200) {
  return { statusCode: status, headers: { "content-type": "application/json" }, body };
}

// function-kit/src/auth.ts
function createTokenVerifier(settings) {
  const bearer = createBearerVerifier(settings);
  return async (token) => {
    const result = await bearer.verify(`Bearer ${token}`);
    if (result.ok) return { ok: true, caller: { userId: result.principal.userId } };
    return {
      ok: false,
      error: {
        reason: result.unavailable === true ? "verifier-unavailable" : "invalid-credentials",
        detail: result.reason
      }
    };
  };
}
async function authenticate(headers, verify) {
  const header = headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === void 0 || value === "") {
    return {
      ok: false,
      error: { reason: "missing-credentials", detail: "an Authorization: Bearer header is required" }
    };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (match?.[1] === void 0) {
    return {
      ok: false,
      error: { reason: "invalid-credentials", detail: "the Authorization header must be Bearer <token>" }
    };
  }
  return verify(match[1]);
}
function authProblem(failure) {
  if (failure.reason === "verifier-unavailable") {
    return problem(503, "Service unavailable", `tokens cannot be checked now: ${failure.detail}`);
  }
  const response = problem(401, "Unauthorized", failure.detail);
  return { ...response, headers: { ...response.headers, "www-authenticate": "Bearer" } };
}

// function-kit/src/config.ts
import { z as z4 } from "zod";
var ConfigError = class extends Error {
  name = "ConfigError";
  issues;
  constructor(issues) {
    super(`Invalid configuration: ${issues.map((issue) => `${issue.variable}: ${issue.message}`).join("; ")}`);
    this.issues = issues;
  }
};
function readConfig(schema, env) {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: issue.path.map(String).join(".") || "(env)",
      message: issue.message
    }))
  );
}
var optionalUrl = z4.preprocess(unsetWhenEmpty, z4.url().optional());
function positiveInt(defaultValue) {
  return z4.preprocess(unsetWhenEmpty, z4.coerce.number().int().positive().default(defaultValue));
}
function nonNegativeInt(defaultValue) {
  return z4.preprocess(unsetWhenEmpty, z4.coerce.number().int().min(0).default(defaultValue));
}
var logLevel = z4.preprocess(
  unsetWhenEmpty,
  z4.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")
);
function withAuthSettings(env, context4) {
  const issues = authIssues(env);
  if (issues.length > 0) {
    for (const issue of issues) context4.addIssue({ code: "custom", ...issue });
    return z4.NEVER;
  }
  return { ...env, auth: authSettingsOf(env) };
}
var commaList = z4.preprocess(
  trimmedOrUnset,
  z4.string().transform(
    (raw) => raw.split(",").map((item) => item.trim()).filter((item) => item !== "")
  ).optional()
);
var senderIdentityVariables = {
  EVENTS_SENDER_AUTH: z4.preprocess(trimmedOrUnset, z4.enum(["oidc", "disabled"]).optional()),
  EVENTS_OIDC_ISSUER: z4.preprocess(trimmedOrUnset, z4.string().optional()),
  EVENTS_OIDC_JWKS_URL: z4.preprocess(trimmedOrUnset, z4.url().optional()),
  EVENTS_OIDC_JWKS_BEARER_FILE: z4.preprocess(trimmedOrUnset, z4.string().optional()),
  EVENTS_OIDC_JWKS_CA_FILE: z4.preprocess(trimmedOrUnset, z4.string().optional()),
  EVENTS_AUDIENCE: z4.preprocess(trimmedOrUnset, z4.string().optional()),
  EVENTS_ALLOWED_SENDERS: commaList,
  /** Where a SinkBinding mounts this function's token for its sink (only functions that emit). */
  EVENTS_SINK_TOKEN_FILE: z4.preprocess(trimmedOrUnset, z4.string().default("/oidc/token"))
};
function withSenderIdentity(env, context4) {
  const mode = env.EVENTS_SENDER_AUTH ?? (env.EVENTS_OIDC_ISSUER !== void 0 || env.NODE_ENV === "production" ? "oidc" : "disabled");
  if (mode === "disabled") return { ...env, senders: { mode: "disabled" } };
  const required = [
    "EVENTS_OIDC_ISSUER",
    "EVENTS_OIDC_JWKS_URL",
    "EVENTS_AUDIENCE",
    "EVENTS_ALLOWED_SENDERS"
  ];
  const missing = required.filter((name) => env[name] === void 0 || env[name]?.length === 0);
  for (const name of missing) {
    context4.addIssue({
      code: "custom",
      path: [name],
      message: `sender identity needs ${name} (or EVENTS_SENDER_AUTH=disabled to accept events from anyone)`
    });
  }
  if (missing.length > 0) return z4.NEVER;
  return {
    ...env,
    senders: {
      mode: "oidc",
      issuer: env.EVENTS_OIDC_ISSUER,
      jwksUrl: env.EVENTS_OIDC_JWKS_URL,
      audience: env.EVENTS_AUDIENCE,
      allowedSubjects: env.EVENTS_ALLOWED_SENDERS,
      jwksTokenFile: env.EVENTS_OIDC_JWKS_BEARER_FILE,
      jwksCaFile: env.EVENTS_OIDC_JWKS_CA_FILE
    }
  };
}

// db/src/embedded-server.ts
import { mkdir } from "node:fs/promises";

// db/src/redact-url.ts
function redactUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return url.includes("@") ? `<unparseable url>@${url.slice(url.lastIndexOf("@") + 1)}` : url;
  }
  if (parsed.password !== "") parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|token|sslkey/i.test(key)) parsed.searchParams.set(key, "***");
  }
  return parsed.toString();
}

// db/src/errors.ts
var DatabaseUnreachableError = class extends Error {
  name = "DatabaseUnreachableError";
  url;
  constructor(url, cause) {
    const redacted = redactUrl(url);
    super(`database at ${redacted} is unreachable: ${describeCause(cause)}`, { cause });
    this.url = redacted;
  }
};
var MigrationFileError = class extends Error {
  name = "MigrationFileError";
  file;
  constructor(file, problem2) {
    super(`migration file ${file}: ${problem2}`);
    this.file = file;
  }
};
var MigrationFailedError = class extends Error {
  name = "MigrationFailedError";
  schema;
  file;
  constructor(schema, file, cause) {
    super(`migration ${file} for schema "${schema}" failed: ${describeCause(cause)}`, { cause });
    this.schema = schema;
    this.file = file;
  }
};
var InvalidDatabaseOptionsError = class extends Error {
  name = "InvalidDatabaseOptionsError";
};
var EmbeddedDatabaseUnavailableError = class extends Error {
  name = "EmbeddedDatabaseUnavailableError";
  constructor(missing, cause) {
    super(
      `no database URL was given, so an embedded PGlite was to open, but ${missing} is not installed: set DATABASE_URL to a PostgreSQL, or install the embedded database (\`npm ci\` without --omit=dev installs @electric-sql/pglite and @electric-sql/pglite-socket)`,
      { cause }
    );
  }
};
function describeCause(cause) {
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return cause.errors.map(describeCause).join("; ");
  }
  if (cause instanceof Error) {
    const code = cause.code;
    return typeof code === "string" && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}

// db/src/extended-query-affinity.ts
var opensBatch = /* @__PURE__ */ new Set([
  80,
  // 'P' Parse
  66,
  // 'B' Bind
  68,
  // 'D' Describe
  69,
  // 'E' Execute
  67,
  // 'C' Close
  72
  // 'H' Flush
]);
var closesBatch = /* @__PURE__ */ new Set([
  83,
  // 'S' Sync
  81
  // 'Q' simple Query
]);
function withExtendedQueryAffinity(db) {
  let batchOpen = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === "isInTransaction") return () => batchOpen || target.isInTransaction();
      if (property === "execProtocolRawStream") {
        return async (message, options) => {
          const type = message[0];
          try {
            return await target.execProtocolRawStream(message, options);
          } finally {
            if (type !== void 0 && opensBatch.has(type)) batchOpen = true;
            else if (type !== void 0 && closesBatch.has(type)) batchOpen = false;
          }
        };
      }
      if (property === "exec") {
        return (...args) => {
          batchOpen = false;
          return target.exec(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    }
  });
}

// db/src/embedded-server.ts
var defaultMaxConnections = 100;
async function serveEmbeddedPostgres(options) {
  const { dataDir, host = "127.0.0.1", port = 0, maxConnections = defaultMaxConnections } = options;
  if (dataDir.trim() === "") throw new InvalidDatabaseOptionsError("pglite dataDir must not be empty");
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidDatabaseOptionsError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    importEmbedded(() => import("@electric-sql/pglite"), "@electric-sql/pglite"),
    importEmbedded(() => import("@electric-sql/pglite-socket"), "@electric-sql/pglite-socket")
  ]);
  if (!dataDir.includes("://")) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db: withExtendedQueryAffinity(pglite), host, port, maxConnections });
  try {
    await server.start();
  } catch (error) {
    await pglite.close();
    throw error;
  }
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  let closing;
  return {
    url,
    close() {
      closing ??= (async () => {
        await server.stop();
        await pglite.close();
      })();
      return closing;
    }
  };
}
async function importEmbedded(load, name) {
  try {
    return await load();
  } catch (error) {
    const code = error.code;
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String(error).includes(name)) {
      throw new EmbeddedDatabaseUnavailableError(name, error);
    }
    throw error;
  }
}

// db/src/transient-errors.ts
var transientSqlStates = /* @__PURE__ */ new Set([
  "08000",
  // connection_exception
  "08001",
  // sqlclient_unable_to_establish_sqlconnection
  "08003",
  // connection_does_not_exist
  "08004",
  // sqlserver_rejected_establishment_of_sqlconnection
  "08006",
  // connection_failure
  "40001",
  // serialization_failure
  "40P01",
  // deadlock_detected
  "53000",
  // insufficient_resources
  "53100",
  // disk_full
  "53200",
  // out_of_memory
  "53300",
  // too_many_connections
  "55P03",
  // lock_not_available (lock_timeout)
  "57014",
  // query_canceled (statement_timeout)
  "57P01",
  // admin_shutdown
  "57P02",
  // crash_shutdown
  "57P03",
  // cannot_connect_now (starting up, in recovery)
  "57P05"
  // idle_session_timeout
]);
var transientSocketCodes = /* @__PURE__ */ new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN"
]);
var transientPgMessages = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error and is not queryable"
];
function isTransientDatabaseError(error) {
  return isTransient(error, 0);
}
function isTransient(error, depth) {
  if (depth > 5 || error === null || typeof error !== "object") return false;
  if (error instanceof DatabaseUnreachableError) return true;
  const code = error.code;
  if (typeof code === "string" && (transientSqlStates.has(code) || transientSocketCodes.has(code)))
    return true;
  const message = error.message;
  if (typeof message === "string" && transientPgMessages.some((m) => message.includes(m))) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isTransient(e, depth + 1))) return true;
  return isTransient(error.cause, depth + 1);
}

// db/src/group-commit.ts
function createGroupCommit(options) {
  const { write, maxInFlight = 1, maxBatch = 500, keyOf } = options;
  const waiting = [];
  let inFlight = 0;
  async function writeAlone(pending) {
    try {
      const [result] = await write([pending.item]);
      pending.resolve(result);
    } catch (error) {
      pending.reject(error);
    }
  }
  async function commit(batch) {
    try {
      const results = await write(batch.map((pending) => pending.item));
      if (results.length !== batch.length)
        throw new Error(`a group commit answered ${results.length} results for ${batch.length} items`);
      batch.forEach((pending, index) => {
        pending.resolve(results[index]);
      });
    } catch (error) {
      if (batch.length === 1 || isTransientDatabaseError(error)) {
        for (const pending of batch) pending.reject(error);
      } else {
        await Promise.all(batch.map(writeAlone));
      }
    }
  }
  function nextBatch() {
    if (!keyOf) return waiting.splice(0, maxBatch);
    const batch = [];
    const keys = /* @__PURE__ */ new Set();
    for (let index = 0; index < waiting.length && batch.length < maxBatch; ) {
      const key = keyOf(waiting[index].item);
      if (keys.has(key)) {
        index++;
        continue;
      }
      keys.add(key);
      batch.push(...waiting.splice(index, 1));
    }
    return batch.sort((a, b) => compareKeys(keyOf(a.item), keyOf(b.item)));
  }
  function drain() {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = nextBatch();
      inFlight++;
      void commit(batch).finally(() => {
        inFlight--;
        drain();
      });
    }
  }
  return (item) => new Promise((resolve, reject) => {
    waiting.push({ item, resolve, reject });
    drain();
  });
}
var compareKeys = (a, b) => a < b ? -1 : a > b ? 1 : 0;

// db/src/migrate.ts
import { sql } from "kysely";
import { Migrator } from "kysely/migration";

// db/src/migration-files.ts
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
var migrationFileName = /^(\d{4})_[a-z0-9][a-z0-9_]*\.sql$/;
function orderMigrationFileNames(fileNames) {
  const sqlFiles = fileNames.filter((name) => name.endsWith(".sql"));
  const byNumber = /* @__PURE__ */ new Map();
  for (const fileName of sqlFiles) {
    const match = migrationFileName.exec(fileName);
    if (!match) throw new MigrationFileError(fileName, "name must look like NNNN_lowercase_name.sql");
    const number = match[1];
    const previous = byNumber.get(number);
    if (previous) throw new MigrationFileError(fileName, `number ${number} is also used by ${previous}`);
    byNumber.set(number, fileName);
  }
  return [...sqlFiles].sort();
}
async function readMigrationFiles(folder) {
  const path = typeof folder === "string" ? folder : fileURLToPath(folder);
  let entries;
  try {
    entries = await readdir(path);
  } catch (error) {
    throw new MigrationFileError(path, `cannot read migrations folder (${error.message})`);
  }
  const files = [];
  for (const fileName of orderMigrationFileNames(entries)) {
    const sql3 = await readFile(join(path, fileName), "utf8");
    if (sql3.trim() === "") throw new MigrationFileError(join(path, fileName), "file is empty");
    files.push({ name: fileName.slice(0, -".sql".length), fileName: join(path, fileName), sql: sql3 });
  }
  return files;
}

// db/src/migrate.ts
var schemaName = /^[a-z_][a-z0-9_]{0,62}$/;
async function migrate(db, options) {
  const { schema, folder, logger } = options;
  if (!schemaName.test(schema)) {
    throw new InvalidDatabaseOptionsError(`schema must be a lowercase SQL identifier, got "${schema}"`);
  }
  const files = await readMigrationFiles(folder);
  const migrator = new Migrator({
    db,
    provider: sqlFileProvider(files, schema),
    migrationTableSchema: schema
  });
  const applied = [];
  for (; ; ) {
    const { error, results = [] } = await migrator.migrateUp();
    const failed2 = results.find((result) => result.status === "Error");
    if (error !== void 0 || failed2 !== void 0) {
      if (error instanceof MigrationFailedError) throw error;
      throw new MigrationFailedError(schema, failed2?.migrationName ?? "(migration bookkeeping)", error);
    }
    const done2 = results.filter((result) => result.status === "Success").map((result) => result.migrationName);
    if (done2.length === 0) break;
    for (const name of done2) logger?.info({ schema, migration: name }, "migration applied");
    applied.push(...done2);
  }
  return { applied };
}
function sqlFileProvider(files, schema) {
  const migrations = {};
  for (const file of files) {
    migrations[file.name] = {
      async up(trx) {
        try {
          await sql.raw(`create schema if not exists "${schema}"; set local search_path to "${schema}", public`).execute(trx);
          await sql.raw(file.sql).execute(trx);
        } catch (error) {
          throw new MigrationFailedError(schema, file.fileName, error);
        }
      }
    };
  }
  return { getMigrations: async () => migrations };
}

// db/src/notifications.ts
import pg from "pg";

// db/src/open-database.ts
import { Kysely, PostgresDialect } from "kysely";
import pg2 from "pg";
var defaultPgliteDataDir = ".data/pglite";
async function openDatabase(options) {
  const {
    url,
    pglite,
    poolMax = 10,
    applicationName,
    connectTimeoutMs = 1e4,
    preparedStatements = true,
    logger
  } = options;
  if (url !== void 0 && pglite !== void 0) {
    throw new InvalidDatabaseOptionsError("give either url (PostgreSQL) or pglite (embedded), not both");
  }
  if (url !== void 0 && !/^postgres(ql)?:\/\//.test(url)) {
    throw new InvalidDatabaseOptionsError(
      `database url must start with postgres:// or postgresql://, got ${redactUrl(url)}`
    );
  }
  if (!Number.isInteger(poolMax) || poolMax < 1) {
    throw new InvalidDatabaseOptionsError(`poolMax must be a positive integer, got ${poolMax}`);
  }
  let embeddedServer;
  if (url === void 0) {
    embeddedServer = await serveEmbeddedPostgres({ dataDir: pglite?.dataDir ?? defaultPgliteDataDir });
  }
  const connectionString = url ?? embeddedServer.url;
  const redacted = redactUrl(connectionString);
  const pool2 = new pg2.Pool({
    connectionString,
    max: poolMax,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true
  });
  pool2.on("error", (error) => {
    logger?.warn({ err: error, url: redacted }, "idle database connection failed");
  });
  pool2.on("connect", (client) => {
    client.on("error", (error) => {
      logger?.warn({ err: error, url: redacted }, "database connection failed");
    });
  });
  const db = new Kysely({ dialect: new PostgresDialect({ pool: pool2 }) });
  async function query(text) {
    try {
      return (await pool2.query(text)).rows;
    } catch (error) {
      throw new DatabaseUnreachableError(connectionString, error);
    }
  }
  async function ping() {
    await query("select 1");
  }
  let closing;
  function close() {
    closing ??= (async () => {
      await db.destroy();
      await embeddedServer?.close();
    })();
    return closing;
  }
  let version;
  try {
    const [row] = await query("select version()");
    version = row?.version ?? "";
  } catch (error) {
    await close();
    throw error;
  }
  const named = preparedStatements && !/\bPGlite\b/.test(version);
  const prepared = (name, text) => named ? async (values) => (await pool2.query({ name, text, values })).rows : async (values) => (await pool2.query(text, values)).rows;
  logger?.info(
    { url: redacted, embedded: embeddedServer !== void 0, applicationName, preparedStatements: named },
    "database opened"
  );
  return { db, pool: pool2, url: redacted, embedded: embeddedServer !== void 0, prepared, ping, close };
}

// db/src/unstorable-data.ts
function isUnstorableDataError(error) {
  const code = error?.code;
  return typeof code === "string" && /^(22[0-9A-Z]{3}|54000)$/.test(code);
}

// function-kit/src/database.ts
async function openFunctionDatabase(options) {
  const handle = await openDatabase({
    applicationName: options.applicationName,
    ...options.url === void 0 ? { pglite: { dataDir: options.pgliteDataDir ?? ".data/pglite" } } : { url: options.url },
    ...options.poolMax === void 0 ? {} : { poolMax: options.poolMax },
    ...options.logger === void 0 ? {} : { logger: options.logger }
  });
  try {
    await migrate(handle.db, {
      schema: options.schema,
      folder: options.migrationsFolder,
      ...options.logger === void 0 ? {} : { logger: options.logger }
    });
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}
function functionDatabase(options) {
  let handle;
  const opened = () => {
    if (!handle)
      throw new Error(`${options.applicationName} is not initialised: init() must finish before handle()`);
    return handle;
  };
  return {
    async open() {
      handle = await openFunctionDatabase(options);
    },
    async close() {
      const closing = handle;
      handle = void 0;
      await closing?.close();
    },
    db: () => opened().db,
    tables: () => opened().db.withSchema(options.schema),
    statement(name, text) {
      let bound;
      return (values) => {
        const current = opened();
        if (bound?.handle !== current) bound = { handle: current, run: current.prepared(name, text) };
        return bound.run(values);
      };
    }
  };
}

// function-kit/src/metrics.ts
import { Counter, Histogram, Registry } from "prom-client";

// platform/src/knative-delivery.ts
function verdictForStatus(status) {
  if (status >= 200 && status < 300) return "delivered";
  if (status >= 500 || status === 404 || status === 408 || status === 409 || status === 429) return "retry";
  return "dead-letter";
}

// function-kit/src/metrics-slot.ts
var functionMetricsKey = /* @__PURE__ */ Symbol.for("taskflow.function-kit.metrics");

// function-kit/src/metrics.ts
function outcomeOf(status) {
  if (status < 300) return "done";
  if (status === 401 || status === 403) return "refused";
  if (verdictForStatus(status) === "retry") return "retry";
  return "rejected";
}
function functionMetrics(functionName) {
  const holder = globalThis;
  const existing = holder[functionMetricsKey];
  if (existing !== void 0) return existing;
  const registry = new Registry();
  registry.setDefaultLabels({ function: functionName });
  const events = new Counter({
    name: "taskflow_function_events_total",
    help: "CloudEvents handled by the function, by type and outcome (done, rejected, refused, retry)",
    labelNames: ["cloudevents_type", "outcome"],
    registers: [registry]
  });
  const duration = new Histogram({
    name: "taskflow_function_event_duration_seconds",
    help: "Time from the runtime handing the function an event to its answer",
    labelNames: ["cloudevents_type", "outcome"],
    buckets: [5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  });
  const series = /* @__PURE__ */ new Map();
  const metrics = {
    registry,
    observeEvent(eventType, status, seconds) {
      const outcome = outcomeOf(status);
      const key = `${eventType}
${outcome}`;
      let pair = series.get(key);
      if (pair === void 0) {
        pair = { count: events.labels(eventType, outcome), time: duration.labels(eventType, outcome) };
        series.set(key, pair);
      }
      pair.count.inc();
      pair.time.observe(seconds);
    }
  };
  holder[functionMetricsKey] = metrics;
  return metrics;
}

// function-kit/src/telemetry.ts
import { context as context2, diag as diag2, propagation, trace as trace2 } from "@opentelemetry/api";
var off = { shutdown: async () => {
} };
var UnsupportedTraceExportError = class extends Error {
  name = "UnsupportedTraceExportError";
};
async function startFunctionTelemetry(settings, logger) {
  if (!settings.tracing) return off;
  const [core, resources, sdk, { AsyncLocalStorageContextManager }] = await Promise.all([
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/context-async-hooks")
  ]);
  const env = {
    string: core.getStringFromEnv,
    list: core.getStringListFromEnv,
    number: core.getNumberFromEnv,
    positive: (name) => {
      const value = core.getNumberFromEnv(name);
      return value !== void 0 && value > 0 ? value : void 0;
    }
  };
  logDiagnosticsThrough(logger, settings.sdkLogLevel);
  const exporters = await spanExporters(env, sdk);
  const spanProcessors = exporters.map(
    (exporter) => exporter instanceof sdk.ConsoleSpanExporter ? new sdk.SimpleSpanProcessor({ exporter }) : new sdk.BatchSpanProcessor({
      exporter,
      maxQueueSize: env.positive("OTEL_BSP_MAX_QUEUE_SIZE"),
      scheduledDelayMillis: env.positive("OTEL_BSP_SCHEDULE_DELAY"),
      exportTimeoutMillis: env.positive("OTEL_BSP_EXPORT_TIMEOUT"),
      maxExportBatchSize: env.positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")
    })
  );
  if (spanProcessors.length === 0) return off;
  let resource = resources.defaultResource().merge(
    resources.detectResources({
      detectors: [
        resources.hostDetector,
        resources.osDetector,
        resources.processDetector,
        resources.serviceInstanceIdDetector,
        resources.resourceAttributesEnvDetector,
        resources.serviceNameEnvDetector
      ]
    })
  );
  if (settings.defaultServiceName !== void 0) {
    resource = resource.merge(
      resources.resourceFromAttributes({ "service.name": settings.defaultServiceName })
    );
  }
  const provider = new sdk.TracerProvider({
    resource,
    spanProcessors,
    sampler: sampler(env, sdk),
    spanLimits: {
      attributeCountLimit: env.number("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") ?? env.number("OTEL_ATTRIBUTE_COUNT_LIMIT"),
      attributeValueLengthLimit: env.number("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ?? env.number("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
      eventCountLimit: env.number("OTEL_SPAN_EVENT_COUNT_LIMIT"),
      linkCountLimit: env.number("OTEL_SPAN_LINK_COUNT_LIMIT")
    }
  });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context2.setGlobalContextManager(contextManager);
  const propagators = propagatorsOf(env, core);
  if (propagators.length > 0) {
    propagation.setGlobalPropagator(new core.CompositePropagator({ propagators }));
  }
  trace2.setGlobalTracerProvider(provider);
  return tracingOn(provider, logger);
}
async function spanExporters(env, sdk) {
  const names = [...new Set(env.list("OTEL_TRACES_EXPORTER") ?? [])];
  if (names.includes("none")) return [];
  const exporters = [];
  for (const name of names.length === 0 ? ["otlp"] : names) {
    if (name === "console") exporters.push(new sdk.ConsoleSpanExporter());
    if (name !== "otlp") continue;
    const protocol = env.string("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? env.string("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf";
    if (protocol === "http/json") {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
      exporters.push(new OTLPTraceExporter());
    } else if (protocol === "http/protobuf") {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
      exporters.push(new OTLPTraceExporter());
    } else {
      throw new UnsupportedTraceExportError(
        `OTEL_EXPORTER_OTLP_PROTOCOL ${protocol}: a function exports its traces over OTLP/HTTP; set http/protobuf (an OpenTelemetry Collector serves it on port 4318) or http/json`
      );
    }
  }
  return exporters;
}
function sampler(env, sdk) {
  const ratio = () => {
    const arg = env.number("OTEL_TRACES_SAMPLER_ARG");
    return arg !== void 0 && arg >= 0 && arg <= 1 ? arg : 1;
  };
  switch (env.string("OTEL_TRACES_SAMPLER")) {
    case "always_on":
      return new sdk.AlwaysOnSampler();
    case "always_off":
      return new sdk.AlwaysOffSampler();
    case "parentbased_always_on":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case "parentbased_always_off":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case "traceidratio":
      return new sdk.TraceIdRatioBasedSampler(ratio());
    case "parentbased_traceidratio":
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio()) });
    default:
      return void 0;
  }
}
function propagatorsOf(env, core) {
  const names = env.list("OTEL_PROPAGATORS") ?? ["tracecontext", "baggage"];
  if (names.includes("none")) return [];
  return [...new Set(names.length === 0 ? ["tracecontext", "baggage"] : names)].flatMap((name) => {
    if (name === "tracecontext") return [new core.W3CTraceContextPropagator()];
    if (name === "baggage") return [new core.W3CBaggagePropagator()];
    diag2.warn(`OTEL_PROPAGATORS: "${name}" is not in a function image (tracecontext, baggage, none)`);
    return [];
  });
}

// function-kit/src/tracing.ts
import { context as context3, propagation as propagation2, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as trace3 } from "@opentelemetry/api";
var tracer = trace3.getTracer("taskflow-function");
var headerGetter = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]
};
async function traceInvocation(fn, invocation, cloudevent, handle) {
  const contentType = String(invocation.headers["content-type"] ?? "");
  const received = invocation.headers["ce-type"] !== void 0 || contentType.startsWith("application/cloudevents");
  const event = received ? cloudevent : void 0;
  const isEvent2 = event !== void 0 && typeof event.type === "string";
  const parent = isEvent2 ? traceContextOf(event, ROOT_CONTEXT) : propagation2.extract(ROOT_CONTEXT, invocation.headers, headerGetter);
  const span = isEvent2 ? tracer.startSpan(
    `process ${String(event.type)}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "faas.trigger": "pubsub",
        "faas.name": fn,
        "cloudevents.event_id": String(event.id ?? ""),
        "cloudevents.event_type": String(event.type),
        "cloudevents.event_source": String(event.source ?? ""),
        ...typeof event.subject === "string" ? { "cloudevents.event_subject": event.subject } : {}
      }
    },
    parent
  ) : tracer.startSpan(
    `${invocation.method ?? "GET"} ${fn}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "faas.trigger": "http",
        "faas.name": fn,
        "http.request.method": invocation.method ?? "GET"
      }
    },
    parent
  );
  try {
    const response = await context3.with(trace3.setSpan(parent, span), handle);
    const status = response.statusCode;
    span.setAttribute("http.response.status_code", status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

// function-kit/src/entry.ts
var healthy = (_request, reply) => {
  reply.header("content-type", "text/plain; charset=utf-8");
  return "OK";
};
function functionEntry(name, settings, implementation) {
  let telemetry;
  const metrics = functionMetrics(name);
  const traced = settings.telemetry.tracing ? (context4, cloudeventOrBody) => traceInvocation(
    name,
    context4,
    cloudeventOrBody,
    () => implementation.handle(context4, cloudeventOrBody)
  ) : (context4, cloudeventOrBody) => implementation.handle(context4, cloudeventOrBody);
  return {
    readiness: healthy,
    liveness: healthy,
    async init() {
      telemetry = await startFunctionTelemetry(settings.telemetry, settings.logger);
      await implementation.init();
    },
    async shutdown() {
      await implementation.shutdown();
      await telemetry?.shutdown();
    },
    // Known at start: without tracing, invocations go straight through (no no-op spans per call).
    // Events (not the HTTP reads) are counted by type and outcome.
    async handle(context4, cloudeventOrBody) {
      const eventType = cloudEventType(cloudeventOrBody);
      if (eventType === void 0) return traced(context4, cloudeventOrBody);
      const started = performance.now();
      let status = 500;
      try {
        const response = await traced(context4, cloudeventOrBody);
        status = response.statusCode;
        return response;
      } finally {
        metrics.observeEvent(eventType, status, (performance.now() - started) / 1e3);
      }
    }
  };
}
function cloudEventType(cloudeventOrBody) {
  if (typeof cloudeventOrBody !== "object" || cloudeventOrBody === null) return void 0;
  const { specversion, type } = cloudeventOrBody;
  return typeof specversion === "string" && typeof type === "string" ? type : void 0;
}

// function-kit/src/event-sender.ts
import { readFile as readFile2 } from "node:fs/promises";
import { createRemoteJWKSet as createRemoteJWKSet2, customFetch, errors as joseErrors2, jwtVerify as jwtVerify2 } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
var algorithms = ["RS256", "ES256"];
var verifiedCacheSize = 1024;
function createSenderVerifier(settings) {
  if (settings.mode === "disabled")
    return { mode: "disabled", verify: async () => ({ ok: true, subject: "anonymous" }) };
  const oidc = settings;
  const keys = remoteKeySet(settings);
  const verified = /* @__PURE__ */ new Map();
  const allowed = subjectMatcher(settings.allowedSubjects);
  async function subjectOf(token) {
    const known = verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return { ok: true, subject: known.subject };
    try {
      const { payload } = await jwtVerify2(token, keys, {
        algorithms,
        issuer: oidc.issuer,
        audience: oidc.audience,
        requiredClaims: ["exp", "sub"]
      });
      if (typeof payload.sub !== "string") return { ok: false, status: 401, reason: "token has no subject" };
      if (verified.size >= verifiedCacheSize) verified.clear();
      verified.set(token, { subject: payload.sub, expiresAtMs: payload.exp * 1e3 });
      return { ok: true, subject: payload.sub };
    } catch (error) {
      return rejection2(error);
    }
  }
  return {
    mode: "oidc",
    async verify(authorization) {
      const header = typeof authorization === "string" ? authorization : authorization?.[0];
      const match = header === void 0 ? null : /^Bearer +(\S+)\s*$/i.exec(header);
      if (!match?.[1]) return { ok: false, status: 401, reason: "no Bearer token: the sender is unknown" };
      const verdict = await subjectOf(match[1]);
      if (!verdict.ok) return verdict;
      if (!allowed(verdict.subject))
        return { ok: false, status: 403, reason: `sender ${verdict.subject} may not send here` };
      return verdict;
    }
  };
}
function subjectMatcher(patterns) {
  const exact = new Set(patterns.filter((pattern) => !pattern.endsWith("*")));
  const prefixes = patterns.filter((pattern) => pattern.endsWith("*")).map((pattern) => pattern.slice(0, -1));
  return (subject) => exact.has(subject) || prefixes.some((prefix) => subject.startsWith(prefix));
}
function remoteKeySet(settings) {
  const { jwksTokenFile, jwksCaFile } = settings;
  if (jwksTokenFile === void 0 && jwksCaFile === void 0)
    return createRemoteJWKSet2(new URL(settings.jwksUrl));
  let dispatcher;
  return createRemoteJWKSet2(new URL(settings.jwksUrl), {
    // The pod's token is re-read per fetch: the kubelet rotates it.
    [customFetch]: async (url, options) => {
      dispatcher ??= jwksCaFile ? readFile2(jwksCaFile, "utf8").then((ca) => new Agent({ connect: { ca } })) : Promise.resolve(void 0);
      const headers = Object.fromEntries(options.headers.entries());
      if (jwksTokenFile) headers.authorization = `Bearer ${(await readFile2(jwksTokenFile, "utf8")).trim()}`;
      const agent = await dispatcher;
      return await undiciFetch(url, {
        ...options,
        headers,
        ...agent ? { dispatcher: agent } : {}
      });
    }
  });
}
function rejection2(error) {
  if (error instanceof joseErrors2.JWKSTimeout || error instanceof joseErrors2.JWKSInvalid || error instanceof TypeError)
    return { ok: false, status: 503, reason: "the issuer key set is unavailable" };
  if (error instanceof joseErrors2.JWTExpired) return { ok: false, status: 401, reason: "token expired" };
  if (error instanceof joseErrors2.JWTClaimValidationFailed)
    return { ok: false, status: 401, reason: `token claim "${error.claim}" rejected: ${error.reason}` };
  if (error instanceof joseErrors2.JWSSignatureVerificationFailed)
    return { ok: false, status: 401, reason: "token signature does not verify" };
  if (error instanceof joseErrors2.JWKSNoMatchingKey)
    return { ok: false, status: 401, reason: "token signed by a key the issuer does not publish" };
  if (error instanceof joseErrors2.JOSEError)
    return { ok: false, status: 401, reason: `invalid token (${error.code})` };
  return { ok: false, status: 401, reason: "invalid token" };
}

// function-kit/src/event-gate.ts
function createEventGate(settings, logger, verifier = createSenderVerifier(settings)) {
  if (verifier.mode === "disabled") {
    logger?.warn("sender identity is off: CloudEvents are accepted from anyone who can reach this function");
    return (_context, deliver) => deliver();
  }
  return async (context4, deliver) => {
    const verdict = await verifier.verify(context4.headers.authorization);
    if (verdict.ok) return deliver();
    const log = context4.log ?? logger;
    log?.error(
      { status: verdict.status, reason: verdict.reason, ceId: context4.headers["ce-id"] },
      "event refused: its sender is not allowed (see EVENTS_ALLOWED_SENDERS and the sources\u2019 sink.audience)"
    );
    if (verdict.status === 503)
      return problem(503, "Service unavailable", `senders cannot be checked now: ${verdict.reason}`);
    if (verdict.status === 403) return problem(403, "Forbidden", verdict.reason);
    const response = problem(401, "Unauthorized", verdict.reason);
    return { ...response, headers: { ...response.headers, "www-authenticate": "Bearer" } };
  };
}

// function-kit/src/inbox.ts
import { sql as sql2 } from "kysely";
async function processOnce(db, schema, event, effect) {
  assertIdentifier(schema);
  return db.transaction().execute(async (trx) => {
    const inserted = await sql2`insert into ${sql2.table(`${schema}.processed_events`)} (source, id)
      values (${event.source}, ${event.id}) on conflict do nothing returning id`.execute(trx);
    if (inserted.rows.length === 0) return { duplicate: true };
    return { duplicate: false, value: await effect(trx) };
  });
}
function assertIdentifier(schema) {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TypeError(`invalid schema name "${schema}"`);
}

// function-kit/src/outcome.ts
function done(body) {
  return body === void 0 ? { kind: "done", status: 204 } : { kind: "done", status: 200, body };
}
function rejected(reason, detail) {
  return { kind: "permanent", status: 400, reason, detail };
}
function unprocessable(reason, detail) {
  return { kind: "permanent", status: 422, reason, detail };
}
function unavailable(reason) {
  return { kind: "transient", status: 503, reason };
}
function failed(reason) {
  return { kind: "transient", status: 500, reason };
}
function toResponse(outcome) {
  switch (outcome.kind) {
    case "done":
      return outcome.status === 204 || outcome.body === void 0 ? { statusCode: outcome.status, headers: {}, body: "" } : { statusCode: outcome.status, headers: { "content-type": "application/json" }, body: outcome.body };
    case "permanent":
    case "transient":
      return {
        statusCode: outcome.status,
        headers: { "content-type": "application/problem+json" },
        body: {
          type: "about:blank",
          title: outcome.kind === "permanent" ? "Event rejected" : "Event not processed, retry",
          status: outcome.status,
          detail: outcome.reason,
          ...outcome.kind === "permanent" && outcome.detail !== void 0 ? { errors: outcome.detail } : {}
        }
      };
  }
}

// function-kit/src/incoming-event.ts
function recordOf(cloudevent) {
  const record = { ...cloudevent };
  if (!("data" in record)) record.data = cloudevent.data;
  return record;
}
function decodeTaskflowEvent(cloudevent) {
  const parsed = parseEvent(recordOf(cloudevent));
  if (parsed.ok) return { ok: true, event: parsed.value };
  return { ok: false, outcome: outcomeOfCodecError(parsed.error) };
}
function outcomeOfCodecError(error) {
  const detail = error.field === void 0 ? void 0 : [{ field: error.field, message: error.message }];
  return error.code === "schema-mismatch" ? unprocessable(error.message, detail) : rejected(error.message, detail);
}

// function-kit/src/invocation.ts
async function respond(context4, work, isTransient2) {
  let outcome;
  try {
    outcome = await work();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (isUnstorableDataError(error)) {
      outcome = unprocessable(`the database cannot store this event: ${reason}`);
    } else {
      outcome = isTransient2(error) ? unavailable(reason) : failed(reason);
      context4.log?.error({ err: error, status: outcome.status }, "invocation failed");
    }
  }
  if (outcome.kind === "permanent")
    context4.log?.warn({ status: outcome.status, reason: outcome.reason }, "event rejected");
  if (outcome.kind === "transient" && outcome.status === 503) {
    context4.log?.warn(
      { status: outcome.status, reason: outcome.reason },
      "dependency unavailable, asking for redelivery"
    );
  }
  return toResponse(outcome);
}
function queryParameter(context4, name) {
  const value = context4.query?.[name];
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return void 0;
}

// function-kit/src/logger.ts
import { pino } from "pino";
function createFunctionLogger(name, level, destination) {
  return pino({ name, level, redact: logRedaction }, destination);
}

// function-kit/src/runtime-event-validation.ts
import { createRequire } from "node:module";
var guarded;
function answerInvalidCloudEventsWith400(logger) {
  guarded ??= (() => {
    try {
      const runtimeEntry = createRequire(import.meta.url).resolve("faas-js-runtime");
      const sdk = createRequire(runtimeEntry)("cloudevents");
      const { ValidationError, HTTP } = sdk;
      const toEvent = HTTP?.toEvent;
      if (ValidationError === void 0 || HTTP === void 0 || toEvent === void 0) return false;
      ValidationError.prototype.statusCode = 400;
      HTTP.toEvent = (message) => {
        const event = toEvent(message);
        if (Array.isArray(event)) throw new ValidationError("a batch of CloudEvents is not accepted here");
        return event;
      };
      return true;
    } catch {
      return false;
    }
  })();
  if (!guarded)
    logger?.warn("faas-js-runtime's cloudevents SDK not found: invalid CloudEvents will be answered 500");
  return guarded;
}

// function-kit/src/seq-cursor.ts
var maxSeq = 9223372036854775807n;
function encodeSeqCursor(seq) {
  return Buffer.from(`seq:${seq}`).toString("base64url");
}
function decodeSeqCursor(cursor) {
  const seq = /^seq:(\d{1,19})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))?.[1];
  return seq === void 0 ? void 0 : parseSeq(seq);
}
function parseSeq(text) {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= maxSeq ? text : void 0;
}

// function-kit/src/sink.ts
import { readFile as readFile3 } from "node:fs/promises";
import { request } from "undici";
var sinkBindingTokenFile = "/oidc/token";
var tokenRereadMs = 1e4;
function parseSinkOverrides(raw) {
  if (raw === void 0 || raw === "") return void 0;
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new TypeError("K_CE_OVERRIDES is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError("K_CE_OVERRIDES must be a JSON object");
  }
  return parsed;
}
function createSinkEmitter(options) {
  const extensions = options.overrides?.extensions ?? {};
  const timeout = options.timeoutMs ?? 1e4;
  const token = tokenReader(options.tokenFile ?? sinkBindingTokenFile);
  return {
    url: options.url,
    async emit(event) {
      const message = httpCodec.encode({ ...event, ...extensions }, { mode: "binary" });
      const bearer = await token();
      try {
        const response = await request(options.url, {
          method: "POST",
          headers: bearer === void 0 ? message.headers : { ...message.headers, authorization: `Bearer ${bearer}` },
          body: message.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          ...options.dispatcher ? { dispatcher: options.dispatcher } : {}
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) return { kind: "done", status: 204 };
        if (verdictForStatus(response.statusCode) === "retry") {
          return unavailable(`sink ${options.url} answered ${response.statusCode}`);
        }
        return failed(`sink ${options.url} rejected the event with ${response.statusCode}`);
      } catch (error) {
        return unavailable(
          `sink ${options.url} unreachable: ${error instanceof Error ? error.message : String(error)}`
        );
      }
    }
  };
}
function tokenReader(path) {
  let cached;
  return async () => {
    const now = Date.now();
    if (cached && now - cached.readAtMs < tokenRereadMs) return cached.value;
    const value = await readFile3(path, "utf8").then(
      (text) => text.trim() || void 0,
      () => void 0
    );
    cached = { value, readAtMs: now };
    return value;
  };
}
export {
  ConfigError,
  EventTypes,
  answerInvalidCloudEventsWith400,
  authProblem,
  authVariables,
  authenticate,
  createEvent,
  createEventGate,
  createFunctionLogger,
  createGroupCommit,
  createSenderVerifier,
  createSinkEmitter,
  createTokenVerifier,
  decodeSeqCursor,
  decodeTaskflowEvent,
  done,
  encodeSeqCursor,
  failed,
  functionDatabase,
  functionEntry,
  isTaskChangeEvent,
  isTransientDatabaseError,
  json,
  logLevel,
  nonNegativeInt,
  openFunctionDatabase,
  optionalUrl,
  outcomeOfCodecError,
  parseSeq,
  parseSinkOverrides,
  positiveInt,
  problem,
  processOnce,
  queryParameter,
  readConfig,
  recordOf,
  rejected,
  respond,
  senderIdentityVariables,
  telemetrySettingsOf,
  telemetryVariables,
  toResponse,
  unavailable,
  unprocessable,
  withAuthSettings,
  withSenderIdentity
};
