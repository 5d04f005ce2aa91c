// Messaging first-class fields and broker URIs resolved when read (hypertrace-ingest §2.3).
// OTel renamed `messaging.system` to `messaging.system.name` (and `aws_sqs` to `aws.sqs`),
// `messaging.destination` to `messaging.destination.name`, `messaging.operation` to
// `messaging.operation.type` and the Kafka consumer group to `messaging.consumer.group.name`.

import type { KeyList, SpanLike } from './attrs.ts';
import { firstOf, has, hasAny, valueOf } from './attrs.ts';
import type { BackendUri } from './peer.ts';
import { hostPortOfUrl, otPeerUri, otelPeerUri } from './peer.ts';

export const MESSAGING_SYSTEM_KEYS: KeyList = ['messaging.system', 'messaging.system.name'];
export const MESSAGING_DESTINATION_KEYS: KeyList = ['messaging.destination', 'messaging.destination.name'];
export const MESSAGING_OPERATION_KEYS: KeyList = [
  'messaging.operation',
  'messaging.operation.type',
  'messaging.operation.name',
  'rabbitmq.command',
];
export const KAFKA_CONSUMER_GROUP_KEYS: KeyList = [
  'messaging.kafka.consumer_group',
  'messaging.kafka.consumer.group',
  'messaging.consumer.group.name',
];
export const RABBITMQ_ROUTING_KEY_KEYS: KeyList = [
  'rabbitmq.routing_key',
  'messaging.rabbitmq.routing_key',
  'messaging.rabbitmq.destination.routing_key',
];

/** Broker kinds a messaging span can name (Hypertrace BackendType names). */
export type MessagingBackend = 'RABBIT_MQ' | 'KAFKA' | 'SQS';

/** The messaging system, lower-cased ("kafka", "rabbitmq", "aws_sqs", ...), or ''. */
export function messagingSystem(span: SpanLike): string {
  return firstOf(span.attributes, MESSAGING_SYSTEM_KEYS).toLowerCase();
}

/** The queue or topic; for Kafka prefixed by the consumer group ("group.topic"). '' if none. */
export function messagingDestination(span: SpanLike, system?: string): string {
  const attrs = span.attributes;
  const destination = firstOf(attrs, MESSAGING_DESTINATION_KEYS);
  if (!isKafkaBackend(span, system)) return destination;
  const group = firstOf(attrs, KAFKA_CONSUMER_GROUP_KEYS);
  if (group === '' || destination === '') return group || destination;
  return `${group}.${destination}`;
}

/** The operation ("publish", "receive", ...; RabbitMQ's command last), or ''. */
export function messagingOperation(span: SpanLike): string {
  return firstOf(span.attributes, MESSAGING_OPERATION_KEYS);
}

// The predicates and URIs below take the span's messagingSystem as an optional argument, so a
// caller asking several of them about one span works it out once (see db.ts).

/** Kafka: OpenTracing `peer.service` = kafka, or the messaging system is kafka. */
export function isKafkaBackend(span: SpanLike, system?: string): boolean {
  return valueOf(span.attributes, 'peer.service').toLowerCase() === 'kafka' || (system ?? messagingSystem(span)) === 'kafka';
}

/** SQS: `peer.service` = sqs, or the messaging system is sqs / aws_sqs / aws.sqs. */
export function isSqsBackend(span: SpanLike, known?: string): boolean {
  if (valueOf(span.attributes, 'peer.service').toLowerCase() === 'sqs') return true;
  const system = known ?? messagingSystem(span);
  return system === 'aws_sqs' || system === 'aws.sqs' || system === 'sqs';
}

/** RabbitMQ: the messaging system says rabbitmq; with no system named, a routing key is present. */
export function isRabbitMqBackend(span: SpanLike, known?: string): boolean {
  const system = known ?? messagingSystem(span);
  if (system !== '') return system === 'rabbitmq';
  return hasAny(span.attributes, RABBITMQ_ROUTING_KEY_KEYS);
}

/** Kafka broker: the OpenTracing peer, `messaging.url`, else the OTel peer. '' if not Kafka. */
export function kafkaUri(span: SpanLike, system?: string): string {
  if (!isKafkaBackend(span, system)) return '';
  return otPeerUri(span) || valueOf(span.attributes, 'messaging.url') || otelPeerUri(span);
}

/** SQS endpoint: the OpenTracing peer, host[:port] of `messaging.url`, else the OTel peer. */
export function sqsUri(span: SpanLike, system?: string): string {
  if (!isSqsBackend(span, system)) return '';
  const attrs = span.attributes;
  const peer = otPeerUri(span);
  if (peer !== '') return peer;
  if (has(attrs, 'messaging.url')) return hostPortOfUrl(valueOf(attrs, 'messaging.url'));
  return otelPeerUri(span);
}

/** RabbitMQ "URI": the routing key. '' if not RabbitMQ. */
export function rabbitMqUri(span: SpanLike, system?: string): string {
  return isRabbitMqBackend(span, system) ? firstOf(span.attributes, RABBITMQ_ROUTING_KEY_KEYS) : '';
}

/**
 * The broker and its URI, trying (as the BackendEntityEnricher does) RabbitMQ, Kafka, SQS;
 * the first with a non-empty URI wins. undefined if none.
 */
export function messagingUri(span: SpanLike): BackendUri<MessagingBackend> | undefined {
  const system = messagingSystem(span);
  let uri = rabbitMqUri(span, system);
  if (uri !== '') return { system: 'RABBIT_MQ', uri };
  uri = kafkaUri(span, system);
  if (uri !== '') return { system: 'KAFKA', uri };
  uri = sqsUri(span, system);
  if (uri !== '') return { system: 'SQS', uri };
  return undefined;
}
