package bench

import (
	"strconv"
	"strings"
)

// service describes one AWS service endpoint as seen in CloudTrail.
type service struct {
	source string // eventSource
	prefix string // IAM action prefix
	global bool   // events are recorded in us-east-1 only
	weight float64
	idKey  string // main request parameter naming the resource
	idPfx  string // EC2-style id prefix ("i-"); empty: a name
	resTyp string // resources[].type, empty: no resources
	api    string // apiVersion, usually empty
	errs   errStyle
	names  string // "Name:weight" list; '@' marks data events
}

type errStyle struct{ denied, notFound, throttle string }

var (
	errEC2   = errStyle{"Client.UnauthorizedOperation", "Client.InvalidParameterValue", "Client.RequestLimitExceeded"}
	errQuery = errStyle{"AccessDenied", "NotFound", "Throttling"}
	errJSON  = errStyle{"AccessDeniedException", "ResourceNotFoundException", "ThrottlingException"}
	errIAM   = errStyle{"AccessDenied", "NoSuchEntityException", "Throttling"}
	errS3    = errStyle{"AccessDenied", "NoSuchKey", "SlowDown"}
)

// services is the catalog of regular API calls made by callers (humans and
// automation). Weights are relative within a service; the service weight
// scales them.
var services = []service{
	{source: "ec2.amazonaws.com", prefix: "ec2", weight: 14, idKey: "instanceId", idPfx: "i-", resTyp: "", errs: errEC2,
		names: "DescribeInstances:10 DescribeInstanceStatus:4 DescribeVolumes:3 DescribeSecurityGroups:4 DescribeSubnets:3 DescribeVpcs:3 DescribeNetworkInterfaces:4 DescribeImages:2 DescribeSnapshots:2 DescribeTags:3 DescribeAddresses DescribeRouteTables DescribeKeyPairs DescribeLaunchTemplates DescribeLaunchTemplateVersions DescribeAvailabilityZones DescribeRegions DescribeInstanceTypes DescribeSpotPriceHistory:.5 DescribeVpcEndpoints:.5 DescribeNatGateways:.5 DescribeInternetGateways:.5 DescribeNetworkAcls:.5 DescribeVolumesModifications:.3 GetConsoleOutput:.05 GetPasswordData:.01 RunInstances:.3 TerminateInstances:.2 StartInstances:.2 StopInstances:.2 RebootInstances:.05 CreateTags:.6 DeleteTags:.1 CreateVolume:.1 AttachVolume:.1 DetachVolume:.1 DeleteVolume:.1 CreateSnapshot:.2 DeleteSnapshot:.1 CreateSecurityGroup:.05 DeleteSecurityGroup:.03 AuthorizeSecurityGroupIngress:.08 RevokeSecurityGroupIngress:.03 AuthorizeSecurityGroupEgress:.02 ModifyInstanceAttribute:.05 CreateNetworkInterface:.2 DeleteNetworkInterface:.2 AllocateAddress:.02 AssociateAddress:.02 ReleaseAddress:.01 CreateKeyPair:.01 ImportKeyPair:.01 CreateLaunchTemplateVersion:.03 ModifySnapshotAttribute:.01 CreateImage:.02 DeregisterImage:.01"},
	{source: "s3.amazonaws.com", prefix: "s3", weight: 40, idKey: "bucketName", resTyp: "AWS::S3::Bucket", errs: errS3,
		names: "ListBuckets:3 GetBucketLocation:4 GetBucketAcl:2 GetBucketPolicy:1.5 GetBucketVersioning:1 GetBucketEncryption:1 GetBucketTagging:1 GetBucketLogging:.5 GetBucketPublicAccessBlock:1 GetBucketOwnershipControls:.5 GetBucketLifecycle:.5 GetBucketCors:.3 GetBucketNotification:.3 GetBucketReplication:.2 GetBucketWebsite:.2 GetBucketObjectLockConfiguration:.2 GetAccelerateConfiguration:.2 GetBucketRequestPayment:.2 CreateBucket:.03 DeleteBucket:.01 PutBucketPolicy:.04 DeleteBucketPolicy:.005 PutBucketTagging:.03 PutBucketEncryption:.01 PutBucketVersioning:.01 PutBucketPublicAccessBlock:.01 PutBucketAcl:.01 PutBucketLifecycle:.01 PutBucketLogging:.005 " +
			"@GetObject:120 @PutObject:45 @HeadObject:30 @ListObjects:25 @DeleteObject:6 @CopyObject:3 @CreateMultipartUpload:1.5 @UploadPart:6 @CompleteMultipartUpload:1.5 @DeleteObjects:1.5 @GetObjectTagging:1.5 @PutObjectTagging:1 @GetObjectAcl:.5 @RestoreObject:.05"},
	{source: "iam.amazonaws.com", prefix: "iam", global: true, weight: 5, idKey: "roleName", resTyp: "", errs: errIAM,
		names: "ListRoles:2 ListUsers:1.5 ListPolicies:1 GetRole:3 GetUser:1.5 GetPolicy:1.5 GetPolicyVersion:1.5 ListAttachedRolePolicies:2 ListRolePolicies:1.5 GetRolePolicy:1 ListAttachedUserPolicies:.5 ListGroups:.3 ListGroupsForUser:.5 ListAccessKeys:1 GetAccessKeyLastUsed:.5 ListMFADevices:.5 ListInstanceProfilesForRole:.5 GetAccountSummary:.2 GetAccountAuthorizationDetails:.05 GenerateCredentialReport:.05 GetCredentialReport:.05 ListServerCertificates:.1 ListOpenIDConnectProviders:.1 ListSAMLProviders:.1 GetLoginProfile:.2 ListEntitiesForPolicy:.2 SimulatePrincipalPolicy:.05 CreateRole:.05 DeleteRole:.02 AttachRolePolicy:.05 DetachRolePolicy:.02 PutRolePolicy:.04 DeleteRolePolicy:.01 UpdateAssumeRolePolicy:.02 CreateUser:.02 DeleteUser:.01 CreateAccessKey:.04 DeleteAccessKey:.02 UpdateAccessKey:.01 AttachUserPolicy:.01 CreatePolicy:.02 CreatePolicyVersion:.03 DeletePolicyVersion:.02 TagRole:.03 CreateLoginProfile:.005 UpdateLoginProfile:.005 AddUserToGroup:.01 CreateServiceLinkedRole:.01"},
	{source: "sts.amazonaws.com", prefix: "sts", weight: 12, idKey: "roleArn", errs: errQuery,
		names: "AssumeRole:15 GetCallerIdentity:6 GetSessionToken:.3 GetFederationToken:.1 DecodeAuthorizationMessage:.02 GetAccessKeyInfo:.02"},
	{source: "kms.amazonaws.com", prefix: "kms", weight: 12, idKey: "keyId", resTyp: "AWS::KMS::Key", errs: errJSON,
		names: "Decrypt:15 GenerateDataKey:8 Encrypt:3 DescribeKey:3 ListAliases:1 ListKeys:.5 GetKeyPolicy:.3 GetKeyRotationStatus:.3 ListResourceTags:.2 ReEncrypt:.1 GenerateDataKeyWithoutPlaintext:.3 Sign:.1 Verify:.1 GetPublicKey:.05 CreateKey:.01 ScheduleKeyDeletion:.003 DisableKey:.003 EnableKeyRotation:.005 CreateAlias:.01 PutKeyPolicy:.005 CreateGrant:.2 RetireGrant:.1 ListGrants:.1"},
	{source: "lambda.amazonaws.com", prefix: "lambda", weight: 6, idKey: "functionName", resTyp: "AWS::Lambda::Function", errs: errJSON,
		names: "ListFunctions20150331:1 GetFunction20150331v2:1 GetFunctionConfiguration20150331v2:.8 ListVersionsByFunction20150331:.3 ListAliases20150331:.2 GetPolicy20150331v2:.3 ListEventSourceMappings20150331:.3 GetFunctionUrlConfig:.1 ListTags20170331:.3 UpdateFunctionCode20150331v2:.1 UpdateFunctionConfiguration20150331v2:.05 CreateFunction20150331:.02 DeleteFunction20150331:.01 AddPermission20150331v2:.02 PublishVersion20150331:.05 PutFunctionConcurrency20171031:.01 @Invoke:40"},
	{source: "dynamodb.amazonaws.com", prefix: "dynamodb", weight: 8, idKey: "tableName", resTyp: "AWS::DynamoDB::Table", api: "2012-08-10", errs: errJSON,
		names: "DescribeTable:3 ListTables:1 DescribeContinuousBackups:.3 DescribeTimeToLive:.3 ListTagsOfResource:.3 CreateTable:.01 UpdateTable:.02 DeleteTable:.005 CreateBackup:.03 @GetItem:16 @PutItem:10 @Query:12 @UpdateItem:6 @DeleteItem:2 @BatchGetItem:2 @BatchWriteItem:3 @Scan:1 @TransactWriteItems:.6"},
	{source: "logs.amazonaws.com", prefix: "logs", weight: 4, idKey: "logGroupName", errs: errJSON,
		names: "DescribeLogGroups:3 DescribeLogStreams:2 FilterLogEvents:1 GetLogEvents:1 StartQuery:.3 GetQueryResults:.8 CreateLogGroup:.2 CreateLogStream:1 PutRetentionPolicy:.05 DeleteLogGroup:.02 PutSubscriptionFilter:.02 DescribeSubscriptionFilters:.2 ListTagsLogGroup:.2 DescribeMetricFilters:.2 PutMetricFilter:.01"},
	{source: "monitoring.amazonaws.com", prefix: "cloudwatch", weight: 5, idKey: "alarmName", errs: errQuery,
		names: "DescribeAlarms:4 GetMetricData:5 GetMetricStatistics:3 ListMetrics:2 DescribeAlarmHistory:.3 PutMetricAlarm:.1 DeleteAlarms:.02 PutDashboard:.02 GetDashboard:.1 ListDashboards:.1 SetAlarmState:.01 DisableAlarmActions:.01"},
	{source: "cloudtrail.amazonaws.com", prefix: "cloudtrail", weight: 1, idKey: "name", errs: errJSON,
		names: "DescribeTrails:1 GetTrailStatus:1 LookupEvents:1 GetEventSelectors:.5 ListTrails:.3 GetTrail:.3 GetInsightSelectors:.2 ListTags:.2 CreateTrail:.004 UpdateTrail:.004 StartLogging:.004 StopLogging:.01 DeleteTrail:.008 PutEventSelectors:.004"},
	{source: "config.amazonaws.com", prefix: "config", weight: 2, idKey: "configRuleName", errs: errJSON,
		names: "DescribeConfigRules:1 DescribeComplianceByConfigRule:.5 GetComplianceDetailsByConfigRule:.5 DescribeConfigurationRecorders:.5 DescribeConfigurationRecorderStatus:.5 DescribeDeliveryChannels:.3 PutEvaluations:2 SelectResourceConfig:.2 PutConfigRule:.01 StopConfigurationRecorder:.002 DeleteConfigRule:.003"},
	{source: "elasticloadbalancing.amazonaws.com", prefix: "elasticloadbalancing", weight: 3, idKey: "targetGroupArn", errs: errQuery,
		names: "DescribeLoadBalancers:2 DescribeTargetGroups:2 DescribeTargetHealth:3 DescribeListeners:1 DescribeRules:.5 DescribeTags:1 DescribeLoadBalancerAttributes:.5 DescribeTargetGroupAttributes:.5 RegisterTargets:.3 DeregisterTargets:.3 CreateTargetGroup:.02 ModifyListener:.01 CreateLoadBalancer:.01 DeleteLoadBalancer:.005"},
	{source: "autoscaling.amazonaws.com", prefix: "autoscaling", weight: 2, idKey: "autoScalingGroupName", errs: errQuery,
		names: "DescribeAutoScalingGroups:3 DescribeScalingActivities:1 DescribeLaunchConfigurations:.3 DescribeAutoScalingInstances:.5 DescribeLifecycleHooks:.3 DescribePolicies:.3 SetDesiredCapacity:.05 UpdateAutoScalingGroup:.05 CompleteLifecycleAction:.1 TerminateInstanceInAutoScalingGroup:.03 CreateOrUpdateTags:.02"},
	{source: "ecs.amazonaws.com", prefix: "ecs", weight: 4, idKey: "cluster", errs: errJSON,
		names: "DescribeServices:2 DescribeTasks:2 ListTasks:2 DescribeTaskDefinition:1 ListServices:1 DescribeClusters:1 ListClusters:.5 DescribeContainerInstances:.5 RegisterTaskDefinition:.05 UpdateService:.08 RunTask:.1 StopTask:.05 SubmitTaskStateChange:.5 DeregisterTaskDefinition:.02"},
	{source: "ecr.amazonaws.com", prefix: "ecr", weight: 4, idKey: "repositoryName", errs: errJSON,
		names: "GetAuthorizationToken:3 BatchGetImage:3 GetDownloadUrlForLayer:3 BatchCheckLayerAvailability:1 DescribeImages:1 DescribeRepositories:1 ListImages:.5 PutImage:.2 InitiateLayerUpload:.2 CompleteLayerUpload:.2 UploadLayerPart:.2 DescribeImageScanFindings:.2 CreateRepository:.01 SetRepositoryPolicy:.005 PutLifecyclePolicy:.005"},
	{source: "eks.amazonaws.com", prefix: "eks", weight: 1.5, idKey: "name", errs: errJSON,
		names: "DescribeCluster:3 ListClusters:.5 ListNodegroups:.5 DescribeNodegroup:.5 DescribeAddon:.3 ListAddons:.2 UpdateNodegroupConfig:.02 CreateNodegroup:.005 ListFargateProfiles:.1 DescribeUpdate:.05"},
	{source: "rds.amazonaws.com", prefix: "rds", weight: 3, idKey: "dBInstanceIdentifier", errs: errQuery,
		names: "DescribeDBInstances:3 DescribeDBClusters:2 DescribeDBSnapshots:.5 DescribeDBClusterSnapshots:.5 DescribeDBParameterGroups:.3 DescribeDBSubnetGroups:.3 DescribeEvents:.5 DescribeDBEngineVersions:.3 DescribePendingMaintenanceActions:.3 ListTagsForResource:.5 CreateDBSnapshot:.03 CreateDBClusterSnapshot:.03 ModifyDBInstance:.02 RebootDBInstance:.01 DeleteDBSnapshot:.02 ModifyDBClusterSnapshotAttribute:.003 StopDBInstance:.005 StartDBInstance:.005 DescribeDBLogFiles:.2 DownloadDBLogFilePortion:.1"},
	{source: "secretsmanager.amazonaws.com", prefix: "secretsmanager", weight: 4, idKey: "secretId", resTyp: "AWS::SecretsManager::Secret", errs: errJSON,
		names: "GetSecretValue:6 DescribeSecret:2 ListSecrets:.5 GetResourcePolicy:.1 PutSecretValue:.05 UpdateSecret:.02 CreateSecret:.02 DeleteSecret:.005 RotateSecret:.02 BatchGetSecretValue:.02 TagResource:.02"},
	{source: "ssm.amazonaws.com", prefix: "ssm", weight: 6, idKey: "name", errs: errJSON,
		names: "GetParameter:5 GetParameters:3 GetParametersByPath:2 DescribeParameters:.5 PutParameter:.1 DeleteParameter:.02 DescribeInstanceInformation:2 UpdateInstanceInformation:3 ListCommands:.3 SendCommand:.05 GetCommandInvocation:.2 StartSession:.05 TerminateSession:.05 ListAssociations:1 DescribeAssociation:.5 GetDocument:.3 ListDocuments:.3 DescribeDocument:.2 PutInventory:1 ListInstanceAssociations:1"},
	{source: "sns.amazonaws.com", prefix: "sns", weight: 2, idKey: "topicArn", errs: errQuery,
		names: "ListTopics:.5 GetTopicAttributes:1 ListSubscriptionsByTopic:.5 CreateTopic:.01 Subscribe:.02 SetTopicAttributes:.01 DeleteTopic:.005 @Publish:12"},
	{source: "sqs.amazonaws.com", prefix: "sqs", weight: 3, idKey: "queueUrl", resTyp: "AWS::SQS::Queue", errs: errQuery,
		names: "GetQueueAttributes:2 GetQueueUrl:2 ListQueues:.5 ListQueueTags:.2 CreateQueue:.01 SetQueueAttributes:.01 PurgeQueue:.005 DeleteQueue:.005 @SendMessage:10 @ReceiveMessage:16 @DeleteMessage:10 @ChangeMessageVisibility:1 @SendMessageBatch:2 @DeleteMessageBatch:2"},
	{source: "cloudformation.amazonaws.com", prefix: "cloudformation", weight: 3, idKey: "stackName", errs: errQuery,
		names: "DescribeStacks:3 DescribeStackEvents:2 DescribeStackResources:1 ListStacks:1 GetTemplate:.5 ListStackResources:.5 DescribeStackResource:.5 GetTemplateSummary:.3 ValidateTemplate:.2 DescribeChangeSet:.3 CreateChangeSet:.05 ExecuteChangeSet:.05 CreateStack:.02 UpdateStack:.03 DeleteStack:.01 ListExports:.3"},
	{source: "route53.amazonaws.com", prefix: "route53", global: true, weight: 1.5, idKey: "hostedZoneId", errs: errQuery,
		names: "ListHostedZones:1 GetHostedZone:.5 ListResourceRecordSets:2 GetChange:.5 ChangeResourceRecordSets:.2 ListHealthChecks:.2 GetHealthCheckStatus:.2 ListTagsForResource:.2 CreateHostedZone:.005 DeleteHostedZone:.002 ListHostedZonesByName:.5"},
	{source: "cloudfront.amazonaws.com", prefix: "cloudfront", global: true, weight: .8, idKey: "id", errs: errQuery,
		names: "ListDistributions:.5 GetDistribution:.5 GetDistributionConfig:.3 CreateInvalidation:.2 GetInvalidation:.2 ListInvalidations:.1 UpdateDistribution:.02 ListCachePolicies:.1 ListTagsForResource:.1"},
	{source: "organizations.amazonaws.com", prefix: "organizations", global: true, weight: .6, idKey: "accountId", errs: errJSON,
		names: "DescribeOrganization:1 ListAccounts:.5 DescribeAccount:.3 ListRoots:.2 ListOrganizationalUnitsForParent:.2 ListPoliciesForTarget:.2 ListParents:.2 DescribePolicy:.1 ListAWSServiceAccessForOrganization:.1 ListDelegatedAdministrators:.1 AttachPolicy:.003 LeaveOrganization:.0005 CreateAccount:.001"},
	{source: "sso.amazonaws.com", prefix: "sso", weight: .4, idKey: "instanceArn", errs: errJSON,
		names: "ListInstances:.3 ListPermissionSets:.3 DescribePermissionSet:.3 ListAccountAssignments:.3 ListAccountsForProvisionedPermissionSet:.1 CreateAccountAssignment:.005 DeleteAccountAssignment:.003"},
	{source: "identitystore.amazonaws.com", prefix: "identitystore", weight: .3, idKey: "identityStoreId", errs: errJSON,
		names: "ListUsers:.3 DescribeUser:.3 ListGroups:.2 ListGroupMemberships:.2 IsMemberInGroups:.2"},
	{source: "guardduty.amazonaws.com", prefix: "guardduty", weight: 1, idKey: "detectorId", errs: errJSON,
		names: "ListDetectors:1 GetDetector:.5 ListFindings:1 GetFindings:1 GetFindingsStatistics:.3 ArchiveFindings:.02 UpdateDetector:.005 DeleteDetector:.0005 CreateFilter:.005"},
	{source: "securityhub.amazonaws.com", prefix: "securityhub", weight: 1, idKey: "hubArn", errs: errJSON,
		names: "GetFindings:1.5 BatchImportFindings:2 BatchUpdateFindings:.3 DescribeHub:.3 GetEnabledStandards:.3 DescribeStandardsControls:.2 BatchEnableStandards:.002"},
	{source: "access-analyzer.amazonaws.com", prefix: "access-analyzer", weight: .3, idKey: "analyzerArn", errs: errJSON,
		names: "ListAnalyzers:.3 ListFindings:.3 GetFinding:.1 ValidatePolicy:.2"},
	{source: "events.amazonaws.com", prefix: "events", weight: .8, idKey: "name", errs: errJSON,
		names: "ListRules:.5 DescribeRule:.5 ListTargetsByRule:.5 DescribeEventBus:.2 PutRule:.02 PutTargets:.02 DeleteRule:.005 RemoveTargets:.005"},
	{source: "states.amazonaws.com", prefix: "states", weight: 1.5, idKey: "stateMachineArn", errs: errJSON,
		names: "ListStateMachines:.3 DescribeStateMachine:.3 DescribeExecution:1 ListExecutions:.5 StartExecution:.5 GetExecutionHistory:.3 StopExecution:.02 UpdateStateMachine:.01 SendTaskSuccess:.3"},
	{source: "kinesis.amazonaws.com", prefix: "kinesis", weight: .8, idKey: "streamName", errs: errJSON,
		names: "DescribeStream:1 ListStreams:.3 DescribeStreamSummary:1 ListShards:.5 CreateStream:.005 DeleteStream:.002 IncreaseStreamRetentionPeriod:.002"},
	{source: "firehose.amazonaws.com", prefix: "firehose", weight: .3, idKey: "deliveryStreamName", errs: errJSON,
		names: "DescribeDeliveryStream:.5 ListDeliveryStreams:.3 UpdateDestination:.005 CreateDeliveryStream:.003"},
	{source: "apigateway.amazonaws.com", prefix: "apigateway", weight: .6, idKey: "restApiId", errs: errJSON,
		names: "GetRestApis:.5 GetStages:.3 GetResources:.3 GetDeployments:.2 CreateDeployment:.03 UpdateStage:.02 GetApiKeys:.1 CreateApiKey:.003"},
	{source: "elasticache.amazonaws.com", prefix: "elasticache", weight: .6, idKey: "replicationGroupId", errs: errQuery,
		names: "DescribeCacheClusters:1 DescribeReplicationGroups:1 DescribeCacheParameterGroups:.2 DescribeSnapshots:.2 ListTagsForResource:.3 ModifyReplicationGroup:.005 CreateSnapshot:.02"},
	{source: "es.amazonaws.com", prefix: "es", weight: .4, idKey: "domainName", errs: errJSON,
		names: "DescribeDomain:.5 ListDomainNames:.3 DescribeDomainConfig:.2 UpdateDomainConfig:.005 ListTags:.2"},
	{source: "glue.amazonaws.com", prefix: "glue", weight: 2, idKey: "name", errs: errJSON,
		names: "GetTable:2 GetTables:1 GetDatabase:1 GetDatabases:.5 GetPartitions:1 BatchCreatePartition:.3 GetJobRun:.5 StartJobRun:.2 GetCrawler:.3 StartCrawler:.1 UpdateTable:.1 CreateTable:.02"},
	{source: "athena.amazonaws.com", prefix: "athena", weight: 1.5, idKey: "workGroup", errs: errJSON,
		names: "StartQueryExecution:1 GetQueryExecution:3 GetQueryResults:2 ListWorkGroups:.2 GetWorkGroup:.3 StopQueryExecution:.05 ListQueryExecutions:.2 GetDataCatalog:.2"},
	{source: "acm.amazonaws.com", prefix: "acm", weight: .4, idKey: "certificateArn", errs: errJSON,
		names: "ListCertificates:.5 DescribeCertificate:.5 GetCertificate:.2 RequestCertificate:.005 DeleteCertificate:.002 ListTagsForCertificate:.2"},
	{source: "wafv2.amazonaws.com", prefix: "wafv2", weight: .4, idKey: "name", errs: errJSON,
		names: "ListWebACLs:.3 GetWebACL:.3 ListIPSets:.2 GetIPSet:.2 UpdateIPSet:.02 UpdateWebACL:.005 GetSampledRequests:.2"},
	{source: "codebuild.amazonaws.com", prefix: "codebuild", weight: .6, idKey: "projectName", errs: errJSON,
		names: "BatchGetBuilds:1 StartBuild:.2 ListBuildsForProject:.3 BatchGetProjects:.3 UpdateProject:.005"},
	{source: "codepipeline.amazonaws.com", prefix: "codepipeline", weight: .8, idKey: "name", errs: errJSON,
		names: "GetPipeline:.3 GetPipelineState:1 ListPipelineExecutions:.5 StartPipelineExecution:.05 PutJobSuccessResult:.2 PollForJobs:2"},
	{source: "sagemaker.amazonaws.com", prefix: "sagemaker", weight: .4, idKey: "endpointName", errs: errJSON,
		names: "ListEndpoints:.2 DescribeEndpoint:.5 ListTrainingJobs:.2 DescribeTrainingJob:.3 CreateTrainingJob:.01 ListNotebookInstances:.1 CreatePresignedNotebookInstanceUrl:.01"},
	{source: "backup.amazonaws.com", prefix: "backup", weight: .4, idKey: "backupVaultName", errs: errJSON,
		names: "ListBackupJobs:.3 ListBackupVaults:.2 DescribeBackupVault:.1 ListRecoveryPointsByBackupVault:.2 StartBackupJob:.05 GetBackupPlan:.1 ListBackupPlans:.1"},
	{source: "health.amazonaws.com", prefix: "health", global: true, weight: .4, idKey: "eventArn", errs: errJSON,
		names: "DescribeEvents:.5 DescribeEventAggregates:.3 DescribeAffectedEntities:.2 DescribeEventDetails:.2"},
	{source: "tagging.amazonaws.com", prefix: "tag", weight: 1, idKey: "resourceARNList", errs: errJSON,
		names: "GetResources:1.5 GetTagKeys:.2 GetTagValues:.2 TagResources:.03"},
	{source: "ce.amazonaws.com", prefix: "ce", global: true, weight: .2, idKey: "granularity", errs: errJSON,
		names: "GetCostAndUsage:.3 GetCostForecast:.1 GetDimensionValues:.1 GetReservationUtilization:.05"},
	{source: "servicequotas.amazonaws.com", prefix: "servicequotas", weight: .2, idKey: "serviceCode", errs: errJSON,
		names: "ListServiceQuotas:.1 GetServiceQuota:.2 RequestServiceQuotaIncrease:.002"},
	{source: "cognito-idp.amazonaws.com", prefix: "cognito-idp", weight: .5, idKey: "userPoolId", errs: errJSON,
		names: "DescribeUserPool:.3 ListUserPools:.1 AdminGetUser:.5 AdminCreateUser:.02 ListUsers:.2 AdminDisableUser:.005"},
	{source: "redshift.amazonaws.com", prefix: "redshift", weight: .4, idKey: "clusterIdentifier", errs: errQuery,
		names: "DescribeClusters:.5 GetClusterCredentials:.5 DescribeClusterSnapshots:.2 ModifyCluster:.005"},
	{source: "inspector2.amazonaws.com", prefix: "inspector2", weight: .3, idKey: "accountIds", errs: errJSON,
		names: "ListFindings:.3 ListCoverage:.3 BatchGetAccountStatus:.2"},
	{source: "bedrock.amazonaws.com", prefix: "bedrock", weight: .8, idKey: "modelId", errs: errJSON,
		names: "InvokeModel:1 Converse:.5 ListFoundationModels:.2 GetFoundationModel:.1"},
	{source: "ram.amazonaws.com", prefix: "ram", weight: .2, idKey: "resourceShareArn", errs: errJSON,
		names: "GetResourceShares:.2 GetResourceShareAssociations:.2 ListResources:.1 CreateResourceShare:.002"},
	{source: "xray.amazonaws.com", prefix: "xray", weight: 2, idKey: "ruleName", errs: errJSON,
		names: "GetSamplingRules:2 GetSamplingTargets:3 GetServiceGraph:.2 GetTraceSummaries:.2"},
}

// readPrefixes are the verbs of calls CloudTrail marks readOnly.
var readPrefixes = []string{"Describe", "List", "Get", "Head", "Lookup", "Search", "Query", "Scan", "BatchGet", "BatchCheck", "Check", "Validate", "Select", "Filter", "Estimate", "Simulate", "Decode", "Download", "Receive", "IsMember", "Poll", "Decrypt", "Verify"}

func isReadName(name string) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// parseNames turns a service's names spec into (name, weight, data) triples.
func parseNames(spec string, fn func(name string, w float64, data bool)) {
	for _, f := range strings.Fields(spec) {
		data := strings.HasPrefix(f, "@")
		f = strings.TrimPrefix(f, "@")
		name, ws, ok := strings.Cut(f, ":")
		w := 1.0
		if ok {
			v, err := strconv.ParseFloat(ws, 64)
			if err != nil {
				panic("bench: bad catalog weight " + f)
			}
			w = v
		}
		fn(name, w, data)
	}
}
