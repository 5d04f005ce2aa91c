import t from 'tap';
import { protocolOf } from '../../src/normalize/index.ts';
import { checkRows } from './rows.ts';

t.test('the protocol is gRPC first, then the URL scheme, a backend, any http key, else UNKNOWN', async (t) => {
  checkRows(t, protocolOf, [
    { title: 'rpc.system grpc beats an https URL', attrs: { 'rpc.system': 'grpc', 'http.url': 'https://x.example/' }, want: 'GRPC' },
    { title: 'new OTel rpc.system.name grpc', attrs: { 'rpc.system.name': 'grpc' }, want: 'GRPC' },
    { title: 'component grpc', attrs: { component: 'gRPC' }, want: 'GRPC' },
    { title: 'a grpc key', attrs: { 'grpc.method': '/a/b', 'http.method': 'POST' }, want: 'GRPC' },
    { title: 'an https URL', attrs: { 'http.url': 'https://x.example/' }, want: 'HTTPS' },
    { title: 'an http URL', attrs: { 'url.full': 'http://x.example/' }, want: 'HTTP' },
    { title: 'http upgraded to https by x-forwarded-proto', attrs: { 'http.url': 'http://x/', 'http.request.header.x-forwarded-proto': 'https' }, want: 'HTTPS' },
    { title: 'a redis URL scheme', attrs: { url: 'redis://cache:6379/0' }, want: 'REDIS' },
    { title: 'db.system redis', attrs: { 'db.system': 'redis' }, want: 'REDIS' },
    { title: 'mongo.url', attrs: { 'mongo.url': 'm:27017' }, want: 'MONGO' },
    { title: 'a SQL db system', attrs: { 'db.system.name': 'postgresql' }, want: 'JDBC' },
    { title: 'cassandra', attrs: { 'db.system': 'cassandra' }, want: 'CASSANDRA' },
    { title: 'elasticsearch over an http URL is HTTP', attrs: { 'db.system': 'elasticsearch', 'url.full': 'http://es:9200/_search' }, want: 'HTTP' },
    { title: 'elasticsearch without a URL', attrs: { 'db.system': 'elasticsearch' }, want: 'ELASTICSEARCH' },
    { title: 'a RabbitMQ routing key', attrs: { 'rabbitmq.routing_key': 'rk' }, want: 'RABBIT_MQ' },
    { title: 'kafka', attrs: { 'messaging.system': 'kafka', 'http.method': 'POST' }, want: 'KAFKA' },
    { title: 'sqs', attrs: { 'messaging.system.name': 'aws.sqs' }, want: 'SQS' },
    { title: 'an http key without a URL', attrs: { 'http.method': 'GET' }, want: 'HTTP' },
    { title: 'nothing known', attrs: { 'custom.key': 'v' }, want: 'UNKNOWN' },
  ]);
});
