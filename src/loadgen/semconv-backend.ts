// Attribute shapes of calls to backends (SQL databases, Redis, MongoDB, Kafka, RabbitMQ, an
// external HTTP API) and of queue consumers, in the vocabulary of the calling service.

import { type Attr, SpanKindCode as Kind, int, str } from './model.ts';
import { type SpanShape, Role, codeAttr, fixed, slotOf } from './semconv-rpc.ts';
import type { ApiModel, BackendModel, BackendOp, Convention, ServiceModel } from './topology.ts';

const SQL_TYPE: Record<string, string> = { postgresql: 'postgresql', mysql: 'mysql' };

function peer(conv: Convention, b: BackendModel): Attr[] {
  if (conv === 'semconv-new') return [str('server.address', b.host), int('server.port', b.port)];
  if (conv === 'semconv-old') return [str('net.peer.name', b.host), int('net.peer.port', b.port)];
  return [str('peer.hostname', b.host), int('peer.port', b.port)];
}

function sqlFixed(conv: Convention, b: BackendModel, op: BackendOp): Attr[] {
  if (conv === 'semconv-new') {
    return [str('db.system.name', SQL_TYPE[b.kind]), str('db.namespace', b.name), str('db.operation.name', op.operation),
      str('db.collection.name', op.target), str('db.query.text', op.statement), ...peer(conv, b)];
  }
  if (conv === 'semconv-old') {
    return [str('db.system', SQL_TYPE[b.kind]), str('db.name', b.name), str('db.operation', op.operation),
      str('db.sql.table', op.target), str('db.statement', op.statement), str('db.user', 'app'), ...peer(conv, b)];
  }
  // OpenTracing JDBC instrumentation, with the Hypertrace agent's sql.* keys beside it.
  return [str('component', 'java-jdbc'), str('db.type', 'sql'), str('db.instance', b.name), str('db.statement', op.statement),
    str('sql.query', op.statement), str('sql.db_type', SQL_TYPE[b.kind]), str('sql.url', `jdbc:${b.kind}://${b.host}:${b.port}/${b.name}`),
    ...peer(conv, b)];
}

function redisFixed(conv: Convention, b: BackendModel, op: BackendOp): Attr[] {
  if (conv === 'semconv-new') {
    return [str('db.system.name', 'redis'), str('db.operation.name', op.operation), str('db.namespace', b.name), ...peer(conv, b)];
  }
  if (conv === 'semconv-old') {
    return [str('db.system', 'redis'), str('db.operation', op.operation), int('db.redis.database_index', Number(b.name)), ...peer(conv, b)];
  }
  return [str('component', 'redis'), str('db.type', 'redis'), str('redis.command', op.operation),
    str('redis.connection', `${b.host}:${b.port}`), ...peer(conv, b)];
}

function mongoFixed(conv: Convention, b: BackendModel, op: BackendOp): Attr[] {
  if (conv === 'semconv-new') {
    return [str('db.system.name', 'mongodb'), str('db.namespace', b.name), str('db.operation.name', op.operation),
      str('db.collection.name', op.target), ...peer(conv, b)];
  }
  if (conv === 'semconv-old') {
    return [str('db.system', 'mongodb'), str('db.name', b.name), str('db.operation', op.operation),
      str('db.mongodb.collection', op.target), ...peer(conv, b)];
  }
  return [str('component', 'mongodb'), str('mongo.url', `mongodb://${b.host}:${b.port}`),
    str('mongo.namespace', `${b.name}.${op.target}`), str('mongo.operation', op.operation), ...peer(conv, b)];
}

function producerFixed(conv: Convention, b: BackendModel): Attr[] {
  const kafka = b.kind === 'kafka';
  if (conv === 'semconv-new') {
    const a = [str('messaging.system', b.kind), str('messaging.destination.name', b.name),
      str('messaging.operation.type', 'send'), str('messaging.operation.name', kafka ? 'send' : 'publish'), ...peer(conv, b)];
    if (!kafka) a.push(str('messaging.rabbitmq.destination.routing_key', `${b.name}.created`));
    return a;
  }
  if (conv === 'semconv-old') {
    const a = [str('messaging.system', b.kind), str('messaging.destination', b.name),
      str('messaging.destination_kind', kafka ? 'topic' : 'queue'), ...peer(conv, b)];
    if (!kafka) a.push(str('messaging.rabbitmq.routing_key', `${b.name}.created`));
    return a;
  }
  const a = [str('component', b.kind), str('message_bus.destination', b.name), str('peer.service', b.kind), ...peer(conv, b)];
  if (!kafka) a.push(str('rabbitmq.routing_key', `${b.name}.created`));
  return a;
}

function externalFixed(conv: Convention, b: BackendModel, op: BackendOp): Attr[] {
  if (conv === 'semconv-new') return [str('http.request.method', op.operation), str('url.scheme', 'https'), ...peer(conv, b)];
  if (conv === 'semconv-old') return [str('http.method', op.operation), str('http.scheme', 'https'), ...peer(conv, b)];
  return [str('component', 'http'), str('http.method', op.operation), str('peer.service', 'payments-api'), ...peer(conv, b)];
}

function backendName(conv: Convention, b: BackendModel, op: BackendOp): string {
  switch (b.kind) {
    case 'postgresql':
    case 'mysql':
      // OpenTracing JDBC wrappers name spans after the driver call.
      return conv === 'opentracing' ? `jdbc:${op.operation.toLowerCase()}` : `${op.operation} ${b.name}.${op.target}`;
    case 'redis':
      return op.operation;
    case 'mongodb':
      return conv === 'semconv-new' ? `${op.operation} ${op.target}` : `${op.operation} ${b.name}.${op.target}`;
    case 'kafka':
    case 'rabbitmq':
      return conv === 'semconv-new' ? `send ${b.name}` : `${b.name} send`;
    case 'external-http':
      return conv === 'semconv-new' ? op.operation : `HTTP ${op.operation}`;
  }
}

/**
 * The client (or producer) span of one backend call. `id` fills keys and paths; `status` is
 * the HTTP status of an external call (ignored for the others).
 */
export function backendClient(caller: ServiceModel, b: BackendModel, op: BackendOp, id: string, status: number): SpanShape {
  const conv = caller.convention;
  const base = fixed(op, slotOf(Role.BACKEND, caller.index), () => {
    switch (b.kind) {
      case 'postgresql':
      case 'mysql':
        return sqlFixed(conv, b, op);
      case 'redis':
        return redisFixed(conv, b, op);
      case 'mongodb':
        return mongoFixed(conv, b, op);
      case 'kafka':
      case 'rabbitmq':
        return producerFixed(conv, b);
      case 'external-http':
        return externalFixed(conv, b, op);
    }
  });
  const attrs = base.slice();
  if (b.kind === 'redis') {
    const key = `${op.target}${id}`;
    if (conv === 'semconv-new') attrs.push(str('db.query.text', `${op.operation} ${key}`));
    else attrs.push(str(conv === 'semconv-old' ? 'db.statement' : 'redis.args', conv === 'semconv-old' ? `${op.operation} ${key}` : key));
  } else if (b.kind === 'external-http') {
    const url = `https://${b.host}${op.target.replace('{id}', id)}`;
    attrs.push(str(conv === 'semconv-new' ? 'url.full' : 'http.url', url),
      codeAttr(conv === 'semconv-new' ? 'http.response.status_code' : 'http.status_code', status));
  } else if (b.kind === 'kafka' && conv !== 'opentracing') {
    attrs.push(str(conv === 'semconv-new' ? 'messaging.kafka.message.key' : 'messaging.kafka.message_key', id));
  }
  const kind = b.kind === 'kafka' || b.kind === 'rabbitmq' ? Kind.PRODUCER : Kind.CLIENT;
  const remote = b.kind === 'external-http' ? 'payments-api' : b.kind;
  return { name: backendName(conv, b, op), kind, attributes: attrs, remoteService: remote };
}

/** The consumer span that processes a message produced to `b`, in the consumer API's service. */
export function consumerSpan(api: ApiModel, b: BackendModel): SpanShape {
  const conv = api.service.convention;
  const attrs = fixed(b, slotOf(Role.CONSUMER, api.service.index), () => {
    const group = `${api.service.name}-group`;
    if (conv === 'semconv-new') {
      return [str('messaging.system', b.kind), str('messaging.destination.name', b.name), str('messaging.operation.type', 'process'),
        str('messaging.consumer.group.name', group)];
    }
    if (conv === 'semconv-old') {
      return [str('messaging.system', b.kind), str('messaging.destination', b.name), str('messaging.operation', 'process'),
        str('messaging.kafka.consumer_group', group)];
    }
    return [str('component', b.kind), str('message_bus.destination', b.name), str('peer.service', b.kind)];
  });
  const name = conv === 'semconv-new' ? `process ${b.name}` : `${b.name} process`;
  return { name, kind: Kind.CONSUMER, attributes: attrs.slice(), remoteService: '' };
}
