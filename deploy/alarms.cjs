// CloudWatch alarms of the stack, all notifying one SNS topic (serverless.yml resources).
// Generated so that every function in serverless.yml, present and future, gets its own Errors
// and Throttles alarm. Each alarm fires on any occurrence within 5 minutes: a ledger's API
// should never fault, and the service has no background noise to tolerate.
'use strict';

// serverless' logical id of a function: "add" -> "AddLambdaFunction".
const functionLogicalId = (name) =>
  `${name[0].toUpperCase()}${name.slice(1).replaceAll('-', 'Dash').replaceAll('_', 'Underscore')}LambdaFunction`;

// What lib/dynamo/store.ts sends to the table (DynamoDB reports errors and throttles per operation).
const TABLE_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'TransactWriteItems'];

const alarm = (description, metric) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmDescription: description,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: 'AlarmTopic' }],
    OKActions: [{ Ref: 'AlarmTopic' }],
    ...metric,
  },
});

const single = (namespace, name, dimensions) => ({
  Namespace: namespace,
  MetricName: name,
  Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  Statistic: 'Sum',
  Period: 300,
});

// A table metric summed over every operation the service uses.
const tableSum = (name) => ({
  Metrics: [
    { Id: 'total', Expression: `SUM([${TABLE_OPERATIONS.map((op) => op.toLowerCase()).join(',')}])`, Label: `${name} (all operations)`, ReturnData: true },
    ...TABLE_OPERATIONS.map((operation) => ({
      Id: operation.toLowerCase(),
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/DynamoDB',
          MetricName: name,
          Dimensions: [
            { Name: 'TableName', Value: { Ref: 'PointsTable' } },
            { Name: 'Operation', Value: operation },
          ],
        },
        Period: 300,
        Stat: 'Sum',
      },
    })),
  ],
});

module.exports = async ({ resolveVariable }) => {
  const functions = Object.keys(await resolveVariable('self:functions'));
  const resources = {
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'Points alarms' } },
    AlarmEmailSubscription: {
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasAlarmEmail',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } },
    },
    ApiServerErrorsAlarm: alarm('The HTTP API answered with a 5xx', single('AWS/ApiGateway', '5xx', { ApiId: { Ref: 'HttpApi' } })),
    TableSystemErrorsAlarm: alarm('DynamoDB failed requests of the points table (SystemErrors)', tableSum('SystemErrors')),
    TableThrottledRequestsAlarm: alarm('DynamoDB throttled requests to the points table', tableSum('ThrottledRequests')),
  };
  if (functions.includes('stream')) {
    // The oldest record the stream consumer works on: past 5 minutes it is falling behind (the
    // stream keeps records 24 hours; docs/events.md "When it falls behind").
    resources.StreamIteratorAgeAlarm = alarm('The stream consumer is more than 5 minutes behind the table (IteratorAge)', {
      ...single('AWS/Lambda', 'IteratorAge', { FunctionName: { Ref: functionLogicalId('stream') } }),
      Statistic: 'Maximum',
      Threshold: 300_000,
    });
    resources.StreamFailureQueueAlarm = alarm('The stream consumer set records aside to its on-failure queue', {
      ...single('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: { 'Fn::GetAtt': ['StreamFailureQueue', 'QueueName'] } }),
      Statistic: 'Maximum',
    });
  }
  if (functions.includes('deliver')) {
    // Webhooks (docs/webhooks.md "Operators"): Powertools publishes them in the functions'
    // namespace with the dimension service.
    const service = { service: `points-${await resolveVariable('sls:stage')}` };
    resources.WebhookFailuresAlarm = alarm('10 or more webhook deliveries ended failed within 5 minutes (a partner endpoint is down, or sending is broken)', {
      ...single('Points', 'WebhookFailed', service),
      Threshold: 10,
    });
    // The deliverer sweeps every second: a due delivery waiting 5 minutes means it is not running or
    // not keeping up. No data at all is as bad (the deliverer publishes this at every sweep).
    resources.WebhookOldestDueAlarm = alarm('A webhook delivery has been due for more than 5 minutes (the deliverer is behind or not running)', {
      ...single('Points', 'WebhookOldestDueAge', service),
      Statistic: 'Maximum',
      Threshold: 300,
      TreatMissingData: 'breaching',
    });
  }
  for (const name of functions) {
    const id = functionLogicalId(name);
    const dimensions = { FunctionName: { Ref: id } };
    resources[`${id}ErrorsAlarm`] = alarm(`Lambda function ${name} failed (Errors)`, single('AWS/Lambda', 'Errors', dimensions));
    resources[`${id}ThrottlesAlarm`] = alarm(`Lambda function ${name} was throttled`, single('AWS/Lambda', 'Throttles', dimensions));
  }
  return {
    // A stack parameter (its default from --param alarmEmail), so it can change without a rebuild.
    Parameters: {
      AlarmEmail: { Type: 'String', Default: await resolveVariable('param:alarmEmail'), Description: 'Email address subscribed to the alarm topic; empty for none' },
    },
    Conditions: { HasAlarmEmail: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] } },
    Resources: resources,
    Outputs: { AlarmTopicArn: { Description: 'SNS topic the alarms notify', Value: { Ref: 'AlarmTopic' } } },
  };
};
