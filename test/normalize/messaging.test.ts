import t from 'tap';
import {
  kafkaUri,
  messagingDestination,
  messagingOperation,
  messagingSystem,
  messagingUri,
  rabbitMqUri,
  sqsUri,
} from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('system and operation read the old OTel name, then the new one', async (t) => {
  checkRows(t, messagingSystem, [
    { title: 'messaging.system beats messaging.system.name', attrs: { 'messaging.system': 'aws_sqs', 'messaging.system.name': 'aws.sqs' }, want: 'aws_sqs' },
    { title: 'new OTel messaging.system.name alone', attrs: { 'messaging.system.name': 'kafka' }, want: 'kafka' },
  ]);
  checkRows(t, messagingOperation, [
    { title: 'messaging.operation beats messaging.operation.type', attrs: { 'messaging.operation': 'publish', 'messaging.operation.type': 'send' }, want: 'publish' },
    { title: 'new OTel messaging.operation.type', attrs: { 'messaging.operation.type': 'receive', 'messaging.operation.name': 'poll' }, want: 'receive' },
    { title: 'messaging.operation.name', attrs: { 'messaging.operation.name': 'ack', 'rabbitmq.command': 'basic.ack' }, want: 'ack' },
    { title: 'rabbitmq.command last', attrs: { 'rabbitmq.command': 'basic.publish' }, want: 'basic.publish' },
  ]);
});

t.test('the destination is the queue or topic, prefixed by the Kafka consumer group', async (t) => {
  checkRows(t, messagingDestination, [
    {
      title: 'Kafka: consumer group and topic',
      attrs: { 'messaging.system': 'kafka', 'messaging.kafka.consumer_group': 'billing', 'messaging.destination': 'orders' },
      want: 'billing.orders',
    },
    {
      title: 'Kafka with new OTel names',
      attrs: { 'messaging.system.name': 'kafka', 'messaging.consumer.group.name': 'audit', 'messaging.destination.name': 'payments' },
      want: 'audit.payments',
    },
    { title: 'Kafka topic without a group', attrs: { 'peer.service': 'kafka', 'messaging.destination.name': 'payments' }, want: 'payments' },
    {
      title: 'messaging.destination beats messaging.destination.name',
      attrs: { 'messaging.system': 'rabbitmq', 'messaging.destination': 'ex1', 'messaging.destination.name': 'ex2' },
      want: 'ex1',
    },
    {
      title: 'a consumer group is not a prefix outside Kafka',
      attrs: { 'messaging.system': 'rabbitmq', 'messaging.consumer.group.name': 'g', 'messaging.destination.name': 'q' },
      want: 'q',
    },
  ]);
});

t.test('Kafka, SQS and RabbitMQ URIs follow the Hypertrace provider rules', async (t) => {
  checkRows(t, kafkaUri, [
    {
      title: 'the OpenTracing peer beats messaging.url',
      attrs: { 'peer.service': 'kafka', 'peer.hostname': 'broker1', 'peer.port': '9092', 'messaging.url': 'broker2:9092' },
      want: 'broker1:9092',
    },
    { title: 'messaging.url beats the OTel peer', attrs: { 'messaging.system': 'kafka', 'messaging.url': 'broker2:9092', 'net.peer.name': 'b3' }, want: 'broker2:9092' },
    {
      title: 'new OTel server.address',
      attrs: { 'messaging.system.name': 'kafka', 'server.address': 'b4', 'server.port': '9093' },
      want: 'b4:9093',
    },
    { title: 'not Kafka', attrs: { 'messaging.system': 'rabbitmq', 'peer.hostname': 'broker1' }, want: '' },
  ]);
  checkRows(t, sqsUri, [
    {
      title: 'messaging.url reduced to its host',
      attrs: { 'messaging.system': 'aws_sqs', 'messaging.url': 'https://sqs.us-east-1.amazonaws.com/123456789012/orders' },
      want: 'sqs.us-east-1.amazonaws.com',
    },
    { title: 'messaging.url reduced to host and port', attrs: { 'peer.service': 'sqs', 'messaging.url': 'http://localstack:4566/000/q' }, want: 'localstack:4566' },
    { title: 'new OTel aws.sqs with server.address', attrs: { 'messaging.system.name': 'aws.sqs', 'server.address': 'sqs.local' }, want: 'sqs.local' },
    { title: 'the OpenTracing peer first', attrs: { 'peer.service': 'sqs', 'peer.ipv4': '10.0.0.1', 'messaging.url': 'https://x/1/q' }, want: '10.0.0.1' },
  ]);
  checkRows(t, rabbitMqUri, [
    {
      title: 'rabbitmq.routing_key beats messaging.rabbitmq.routing_key',
      attrs: { 'messaging.system': 'rabbitmq', 'rabbitmq.routing_key': 'rk1', 'messaging.rabbitmq.routing_key': 'rk2' },
      want: 'rk1',
    },
    {
      title: 'messaging.rabbitmq.routing_key beats the destination routing key',
      attrs: { 'messaging.rabbitmq.routing_key': 'rk2', 'messaging.rabbitmq.destination.routing_key': 'rk3' },
      want: 'rk2',
    },
    { title: 'new OTel destination routing key', attrs: { 'messaging.rabbitmq.destination.routing_key': 'rk3' }, want: 'rk3' },
    { title: 'a routing key on a span whose system is Kafka is not RabbitMQ', attrs: { 'messaging.system': 'kafka', 'rabbitmq.routing_key': 'rk1' }, want: '' },
  ]);
});

t.test('the broker URI tries RabbitMQ, Kafka, then SQS', async (t) => {
  checkRows(t, messagingUri, [
    { title: 'RabbitMQ routing key', attrs: { 'rabbitmq.routing_key': 'orders.created' }, want: { system: 'RABBIT_MQ', uri: 'orders.created' } },
    {
      title: 'Kafka by peer.service',
      attrs: { 'peer.service': 'kafka', 'peer.hostname': 'broker', 'peer.port': '9092' },
      want: { system: 'KAFKA', uri: 'broker:9092' },
    },
    { title: 'SQS', attrs: { 'messaging.system': 'aws_sqs', 'net.peer.name': 'sqs.local' }, want: { system: 'SQS', uri: 'sqs.local' } },
    { title: 'none', attrs: { 'messaging.system': 'kafka' }, want: undefined },
  ]);
});

t.test('a messagingSystem passed in is used instead of reading the system keys again', async (t) => {
  const span = { name: 'send', kind: 'PRODUCER' as const, attributes: { 'messaging.system': 'rabbitmq', 'net.peer.name': 'mq', 'messaging.destination': 'orders', 'rabbitmq.routing_key': 'rk' } };
  t.equal(rabbitMqUri(span, messagingSystem(span)), 'rk');
  t.equal(rabbitMqUri(span, 'kafka'), '', 'the given system decides');
  t.equal(kafkaUri(span, 'kafka'), 'mq');
  t.equal(kafkaUri(span), '', 'without it the span says rabbitmq');
  t.equal(sqsUri(span, 'aws.sqs'), 'mq');
  t.equal(messagingDestination(span, 'rabbitmq'), messagingDestination(span));
});
