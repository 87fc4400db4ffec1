/**
 * AWS IoT Core's numbers, in one place, each beside the public page it comes from. Values only:
 * no logic, no imports. The code that enforces a limit (the stand-in) or respects it (send, create)
 * imports it from here. docs/aws-iot-facts.md explains what each means for elf.
 *
 * Quotas page: https://docs.aws.amazon.com/general/latest/gr/iot-core.html
 */

// ---------------------------------------------------------------------------------------------
// Message broker and protocol limits
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#iot-protocol-limits
// ---------------------------------------------------------------------------------------------

/** Largest message payload: 128 KB; AWS refuses larger publishes and connects. (message-broker-limits) */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** Publishes per second per connection, each way; AWS discards the excess. (message-broker-limits) */
export const MAX_PUBLISHES_PER_SEC_PER_CONNECTION = 100;

/** Throughput per connection: 512 KB/s; AWS delays the excess. (message-broker-limits) */
export const MAX_BYTES_PER_SEC_PER_CONNECTION = 512 * 1024;

/** Connect requests per second per account (adjustable). (message-broker-limits) */
export const MAX_CONNECTS_PER_SEC_PER_ACCOUNT = 500;

/** Connect requests per second per client id. (message-broker-limits) */
export const MAX_CONNECTS_PER_SEC_PER_CLIENT_ID = 1;

/** Client id: at most 128 bytes of UTF-8. (iot-protocol-limits) */
export const MAX_CLIENT_ID_BYTES = 128;

/** Topic name or filter: at most 256 bytes of UTF-8 (a `$aws/rules/<rule>/` prefix not counted). (iot-protocol-limits) */
export const MAX_TOPIC_BYTES = 256;

/** Topic name or filter: at most 7 forward slashes, i.e. 8 levels (a `$aws/rules/<rule>/` prefix not counted). (iot-protocol-limits) */
export const MAX_TOPIC_SLASHES = 7;

/** Topic filters in one SUBSCRIBE. (message-broker-limits) */
export const MAX_FILTERS_PER_SUBSCRIBE = 8;

/** Subscriptions on one connection. (message-broker-limits) */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/**
 * Keep-alive a client may ask for, in seconds: 0 or more than `max` becomes `max`, less than `min`
 * becomes `min`. (iot-protocol-limits)
 */
export const KEEP_ALIVE_SECONDS = { min: 30, max: 1200 } as const;

/** How long AWS keeps a persistent session by default: 1 hour (adjustable up to 7 days). (message-broker-limits) */
export const DEFAULT_SESSION_EXPIRY_SECONDS = 3600;

// ---------------------------------------------------------------------------------------------
// MQTT 5: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html ("MQTT 5 properties",
// "Topic aliases", "Message expiry", "MQTT persistent sessions")
// ---------------------------------------------------------------------------------------------

/** Topic Alias Maximum: AWS's default limit is 8 aliases. (mqtt.html#mqtt5-topic-alias) */
export const MQTT5_TOPIC_ALIAS_MAXIMUM = 8;

/** Receive Maximum: 100 unacknowledged QoS 1 publishes in flight per connection, each way. (message-broker-limits) */
export const MQTT5_RECEIVE_MAXIMUM = 100;

/** Session Expiry Interval: at most 1 hour by default per account; a longer request is lowered. (mqtt.html#mqtt-persistent-sessions) */
export const MQTT5_MAX_SESSION_EXPIRY_SECONDS = DEFAULT_SESSION_EXPIRY_SECONDS;

/** Message Expiry Interval: from 1 s to 604,800 s (7 days); values outside are raised or lowered. (mqtt.html#mqtt5-message-expiry) */
export const MQTT5_MESSAGE_EXPIRY_SECONDS = { min: 1, max: 604_800 } as const;

/** Maximum Packet Size: "the maximum packet size that AWS IoT Core accepts and sends. Cannot exceed 128 KB." (mqtt.html#mqtt5-properties) */
export const MQTT5_MAXIMUM_PACKET_SIZE = 128 * 1024;

/** Maximum QoS in CONNACK: 1 (AWS IoT Core does not support QoS 2). (mqtt.html#mqtt5-properties) */
export const MQTT5_MAXIMUM_QOS = 1;

/**
 * Shared subscriptions `$share/{ShareName}/{TopicFilter}`, for MQTT 3.1.1 and 5: ShareName at most 128
 * UTF-8 characters, without `/`, `+` or `#`; TopicFilter at most 256; the prefix's two slashes do not
 * count toward the slash limit. (mqtt.html#mqtt5-shared-subscription)
 */
export const SHARED_SUBSCRIPTION = { prefix: '$share/', maxShareNameChars: 128, maxTopicFilterChars: 256 } as const;

// ---------------------------------------------------------------------------------------------
// Ports: https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html
// ---------------------------------------------------------------------------------------------

/** MQTT over TLS with an X.509 client certificate. */
export const MQTT_TLS_PORT = 8883;

/** MQTT over TLS with an X.509 client certificate on 443, for clients that offer `MQTT_ALPN_PROTOCOL`. */
export const MQTT_ALPN_PORT = 443;

/** The ALPN protocol that selects MQTT with a client certificate on port 443. */
export const MQTT_ALPN_PROTOCOL = 'x-amzn-mqtt-ca';

// ---------------------------------------------------------------------------------------------
// Registry and security
// ---------------------------------------------------------------------------------------------

/** Thing name (and thing type, billing group names): 1–128 characters. https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html */
export const MAX_THING_NAME_LENGTH = 128;

/** Policy name: 1–128 characters. https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicy.html */
export const MAX_POLICY_NAME_LENGTH = 128;

/** Thing attribute name length. https://docs.aws.amazon.com/iot/latest/apireference/API_AttributePayload.html */
export const MAX_ATTRIBUTE_NAME_LENGTH = 128;

/** Thing attribute value length. https://docs.aws.amazon.com/iot/latest/apireference/API_AttributePayload.html */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 800;

/** Largest `maxResults` of the List* operations. https://docs.aws.amazon.com/iot/latest/apireference/API_ListThings.html */
export const MAX_LIST_RESULTS = 250;

/**
 * Policies attached to one certificate; AttachPolicy answers LimitExceededException beyond it.
 * https://github.com/awsdocs/aws-iot-docs/blob/b946d0b/developerguide/limits-iot.md (AWS's 2019 limits page)
 */
export const MAX_POLICIES_PER_CERTIFICATE = 10;

/**
 * Versions one named policy keeps; CreatePolicyVersion on a full policy answers VersionsLimitExceededException.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicyVersion.html ("A managed policy can have up to five versions")
 */
export const MAX_POLICY_VERSIONS = 5;

// ---------------------------------------------------------------------------------------------
// Device Shadow: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#device-shadow-limits
// and https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html
// ---------------------------------------------------------------------------------------------

/** A shadow's state document, metadata not counted: 8 KB. */
export const SHADOW_MAX_STATE_BYTES = 8 * 1024;

/** Nesting of a shadow section (`desired` / `reported` and what they hold) the stand-in accepts. */
export const SHADOW_MAX_DEPTH = 6;

/** `clientToken` of a shadow request: at most 64 bytes. */
export const SHADOW_MAX_CLIENT_TOKEN_BYTES = 64;

/** A named shadow's name: 1–64 characters of `[a-zA-Z0-9:_-]`. https://docs.aws.amazon.com/iot/latest/developerguide/iot-device-shadows.html */
export const SHADOW_MAX_NAME_LENGTH = 64;

// ---------------------------------------------------------------------------------------------
// Control-plane API rates (per account per Region):
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits
// Values from AWS's 2019 limits page (https://github.com/awsdocs/aws-iot-docs/blob/b946d0b/developerguide/limits-iot.md),
// the last to list them all; AWS has raised some since, so they are defaults to simulate, not promises.
// ---------------------------------------------------------------------------------------------

/** Transactions per second per control-plane operation. */
export const AWS_API_TPS: Readonly<Record<string, number>> = {
  CreateThing: 15,
  DeleteThing: 15,
  DescribeThing: 350,
  ListThings: 10,
  CreatePolicy: 10,
  GetPolicy: 10,
  DeletePolicy: 10,
  AttachPolicy: 15,
  DetachPolicy: 15,
  AttachPrincipalPolicy: 15,
  DetachPrincipalPolicy: 15,
  AttachThingPrincipal: 15,
  DetachThingPrincipal: 15,
  ListAttachedPolicies: 15,
  ListPrincipalPolicies: 15,
  ListThingPrincipals: 10,
  ListPrincipalThings: 10,
  DescribeCertificate: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  // not in the 2019 table; their quotas exist in Service Quotas (e.g. L-40B55430 for
  // CreateKeysAndCertificate) and 10/s is assumed
  CreateKeysAndCertificate: 10,
  DescribeEndpoint: 10,
  ListCertificates: 10,
  ListPolicies: 10,
};

/** The rate assumed for an operation missing from `AWS_API_TPS` (the lowest in the table). */
export const DEFAULT_API_TPS = 10;

// ---------------------------------------------------------------------------------------------
// Rules engine
// https://docs.aws.amazon.com/general/latest/gr/iot-core.html#limits_iot
// https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html
// ---------------------------------------------------------------------------------------------

/** Actions per rule: 10. (limits_iot, "Maximum number of actions per rule") */
export const MAX_RULE_ACTIONS = 10;

/** Size of a rule (its topicRulePayload): 256 KB. (limits_iot, "Rule size") */
export const MAX_RULE_BYTES = 256 * 1024;

/** Topic rules per account: 1,000 (adjustable). (limits_iot, "Maximum number of rules per AWS account") */
export const MAX_RULES_PER_ACCOUNT = 1000;

/** A rule's name: 1-128 characters of [a-zA-Z0-9_]. (API_CreateTopicRule.html, ruleName) */
export const RULE_NAME_PATTERN = /^[a-zA-Z0-9_]{1,128}$/;

/** HTTP action: the request times out after 3,000 ms. (limits_iot, "HTTP action request timeout") */
export const HTTP_ACTION_TIMEOUT_MS = 3000;

/**
 * Firehose action separators: "([\n\t])|(\r\n)|(,)".
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_FirehoseAction.html, separator)
 */
export const FIREHOSE_SEPARATORS: readonly string[] = ['\n', '\t', '\r\n', ','];
