package bench

import (
	"strconv"
	"strings"
)

// build fills requestParameters, responseElements, additionalEventData,
// serviceEventDetails and resources for the current event.
func (g *gen) build() {
	d := g.def
	switch d.eventType {
	case "AwsConsoleSignIn":
		g.signIn()
		return
	case "AwsServiceEvent":
		g.serviceEvent()
		return
	}
	switch d.svc.prefix {
	case "s3":
		if d.category != catManagement || d.eventType == "AwsVpceEvent" {
			g.s3Data()
			return
		}
	case "dynamodb":
		if d.category == catData {
			g.dynamo()
			return
		}
	case "kms":
		g.kms()
		return
	}
	if f := specialBuilders[d.name]; f != nil && f(g) {
		return
	}
	g.generic()
}

var specialBuilders map[string]func(g *gen) bool

func init() {
	specialBuilders = map[string]func(g *gen) bool{
		"AssumeRole": (*gen).assumeRole, "AssumeRoleWithSAML": (*gen).assumeRole, "AssumeRoleWithWebIdentity": (*gen).assumeRole,
		"GetCallerIdentity":             func(*gen) bool { return true },
		"GetAuthorizationToken":         func(*gen) bool { return true },
		"RunInstances":                  (*gen).runInstances,
		"AuthorizeSecurityGroupIngress": (*gen).sgIngress,
		"PutBucketPolicy":               (*gen).bucketPolicy,
		"CreateAccessKey":               (*gen).createAccessKey,
		"StopLogging":                   (*gen).trailOp, "DeleteTrail": (*gen).trailOp, "StartLogging": (*gen).trailOp,
		"Invoke":         (*gen).invoke,
		"GetSecretValue": (*gen).secret,
		"GetParameter":   (*gen).parameter,
		"SendMessage":    (*gen).sqs, "ReceiveMessage": (*gen).sqs, "DeleteMessage": (*gen).sqs,
		"Publish":    (*gen).publish,
		"CreateRole": (*gen).createRole,
	}
}

// generic builds parameters from the call's verb and the service's main key.
func (g *gen) generic() {
	d, r := g.def, g.r
	id := g.resourceID()
	rq := &g.req
	switch {
	case d.svc.errs == errEC2 && strings.HasPrefix(d.name, "Describe"):
		noun := strings.TrimPrefix(d.name, "Describe")
		rq.ob()
		rq.k(strings.ToLower(noun[:1]) + noun[1:] + "Set")
		rq.ob()
		rq.oe()
		rq.k("filterSet")
		rq.ob()
		if r.IntN(2) == 0 {
			rq.k("items")
			rq.ab()
			rq.ob()
			rq.ks("name", oneOf(r, []string{"tag:Name", "vpc-id", "instance-state-name", "tag:aws:cloudformation:stack-name"}))
			rq.k("valueSet")
			rq.ob()
			rq.k("items")
			rq.ab()
			rq.ob()
			rq.ks("value", g.name())
			rq.oe()
			rq.ae()
			rq.oe()
			rq.oe()
			rq.ae()
		}
		rq.oe()
		if r.IntN(2) == 0 {
			rq.ki("maxResults", 1000)
		}
		rq.oe()
	case d.read && (strings.HasPrefix(d.name, "List") || strings.HasPrefix(d.name, "Describe") && strings.HasSuffix(d.name, "s")):
		if r.IntN(4) == 0 {
			return // many list calls have null requestParameters
		}
		rq.ob()
		rq.ki("maxResults", int64(oneOf(r, []int{20, 50, 100, 1000})))
		if r.IntN(3) == 0 {
			rq.ks("nextToken", randStr(r, alnum, 64))
		}
		rq.oe()
	case d.read:
		rq.ob()
		rq.ks(d.svc.idKey, id)
		rq.oe()
	default:
		g.genericWrite(id)
	}
	if g.def.svc.resTyp != "" {
		g.res = append(g.res, Resource{AccountID: g.acct.id, Type: d.svc.resTyp, ARN: g.arn(d.svc.prefix, id)})
	}
}

func (g *gen) genericWrite(id string) {
	d, r := g.def, g.r
	rq, rs := &g.req, &g.resp
	rq.ob()
	rq.ks(d.svc.idKey, id)
	switch {
	case strings.HasPrefix(d.name, "Create"), strings.HasPrefix(d.name, "Tag"), strings.HasPrefix(d.name, "Put"):
		rq.k("tags")
		rq.ab()
		for _, kv := range [][2]string{{"team", oneOf(r, apps)}, {"env", oneOf(r, envs)}, {"owner", oneOf(r, firstNames)}, {"cost-center", strconv.Itoa(1000 + r.IntN(50))}}[:1+r.IntN(4)] {
			rq.ob()
			rq.ks("key", kv[0])
			rq.ks("value", kv[1])
			rq.oe()
		}
		rq.ae()
		if r.IntN(2) == 0 {
			rq.ks("description", "Managed by "+oneOf(r, []string{"Terraform", "CloudFormation", "the platform team"}))
		}
	case strings.HasPrefix(d.name, "Update"), strings.HasPrefix(d.name, "Modify"), strings.HasPrefix(d.name, "Set"):
		rq.k("configuration")
		rq.ob()
		rq.ki("timeout", int64(30*(1+r.IntN(10))))
		rq.kb("enabled", r.IntN(4) > 0)
		rq.ks("updatedBy", oneOf(r, firstNames))
		rq.oe()
	}
	rq.oe()
	if g.failed {
		return
	}
	switch {
	case d.svc.errs == errEC2:
		rs.ob()
		rs.ks("requestId", uuid(r))
		rs.kb("_return", true)
		rs.oe()
	case strings.HasPrefix(d.name, "Create"), strings.HasPrefix(d.name, "Start"), strings.HasPrefix(d.name, "Register"):
		rs.ob()
		rs.k(lowerFirst(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(d.name, "Create"), "Start"), "Register")))
		rs.ob()
		rs.ks("arn", g.arn(d.svc.prefix, id))
		rs.ks(d.svc.idKey, id)
		rs.ks("status", oneOf(r, []string{"CREATING", "ACTIVE", "PENDING"}))
		rs.ks("createdDate", g.t.Format("Jan 2, 2006, 3:04:05 PM"))
		rs.oe()
		rs.oe()
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return "result"
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (g *gen) resourceID() string {
	s := g.def.svc
	if s.idPfx != "" {
		return s.idPfx + hexStr(g.r, 17)
	}
	switch {
	case strings.HasSuffix(s.idKey, "Arn"):
		return g.arn(s.prefix, strings.TrimSuffix(s.idKey, "Arn")+"/"+g.name())
	case s.idKey == "queueUrl":
		return "https://sqs." + g.region + ".amazonaws.com/" + g.acct.id + "/" + g.name()
	case s.prefix == "s3":
		return g.bucket()
	}
	return g.name()
}

func (g *gen) signIn() {
	d, r, p := g.def, g.r, g.p
	g.rec.UserAgent = p.agents[0]
	g.rec.AWSRegion = "us-east-1"
	g.rec.RequestParameters = nil
	g.ui.AccessKeyID = ""
	g.ui.SessionContext = nil
	g.rec.SessionCredentialFromConsole = ""
	result := "Success"
	if r.IntN(100) < 7 {
		result = "Failure"
		g.rec.ErrorMessage = "Failed authentication"
	}
	g.resp.ob()
	g.resp.ks(d.name, result)
	g.resp.oe()
	a := &g.add
	a.ob()
	switch d.name {
	case "ConsoleLogin":
		a.ks("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_"+g.region+"_"+hexStr(r, 16))
		a.ks("MobileVersion", "No")
		if p.mfa {
			a.ks("MFAIdentifier", "arn:aws:iam::"+g.acct.id+":mfa/"+oneOf(r, firstNames))
			a.ks("MFAUsed", "Yes")
		} else {
			a.ks("MFAUsed", "No")
		}
	case "CheckMfa":
		a.ks("MfaType", oneOf(r, []string{"Virtual MFA", "U2F MFA", "Multiple MFA Devices"}))
	default:
		a.ks("SwitchFrom", g.callerARN())
		a.ks("RedirectTo", "https://console.aws.amazon.com/console/home")
	}
	a.oe()
}

func (g *gen) serviceEvent() {
	d, r, s := g.def, g.r, &g.sed
	g.rec.SourceIPAddress, g.rec.UserAgent = g.ui.InvokedBy, g.ui.InvokedBy
	if g.ui.InvokedBy == "AWS Internal" {
		g.rec.SourceIPAddress = "AWS Internal"
	}
	s.ob()
	switch d.name {
	case "RotateKey":
		key := uuid(r)
		s.ks("keyId", key)
		g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::KMS::Key", ARN: g.arn("kms", "key/"+key)})
	case "BackupJobCompleted":
		s.ks("backupJobId", uuid(r))
		s.ks("backupVaultName", "Default")
		s.ks("resourceArn", g.arn("rds", "db:"+g.name()))
		s.ks("state", oneOf(r, []string{"COMPLETED", "COMPLETED", "FAILED"}))
		s.ki("backupSizeInBytes", r.Int64N(1<<36))
	case "JobStatusChanged":
		job := uuid(r)
		s.ks("jobId", job)
		s.ks("jobArn", g.arn("s3", "job/"+job))
		s.ks("status", "Complete")
		s.strs("failureCodes")
	default:
		s.ks("secretId", g.arn("secretsmanager", "secret:"+g.name()+"-"+randStr(r, alnum, 6)))
		s.ks("lambdaArn", g.arn("lambda", "function:SecretsManager"+g.name()+"Rotation"))
		s.ks("versionId", uuid(r))
	}
	s.oe()
}

func (g *gen) s3Data() {
	d, r := g.def, g.r
	b := g.bucket()
	key := oneOf(r, []string{"data/", "logs/", "exports/", "uploads/", "artifacts/"}) + g.t.Format("2006/01/02/") + hexStr(r, 12) + oneOf(r, []string{".json.gz", ".parquet", ".csv", ".zip", ".png"})
	rq := &g.req
	rq.ob()
	rq.ks("bucketName", b)
	rq.ks("Host", b+".s3."+g.region+".amazonaws.com")
	list := d.name == "ListObjects"
	if list {
		rq.ks("prefix", key[:strings.IndexByte(key, '/')+1])
		rq.ks("list-type", "2")
		rq.ks("encoding-type", "url")
	} else {
		rq.ks("key", key)
	}
	if d.name == "PutObject" {
		rq.ks("x-amz-server-side-encryption", "aws:kms")
	}
	rq.oe()
	if d.eventType == "AwsVpceEvent" {
		return
	}
	if !g.failed && (d.name == "PutObject" || d.name == "CompleteMultipartUpload") {
		g.resp.ob()
		g.resp.ks("x-amz-server-side-encryption", "aws:kms")
		g.resp.ks("x-amz-version-id", randStr(r, alnum, 32))
		g.resp.oe()
	}
	var in, out int64
	switch d.name {
	case "PutObject", "UploadPart":
		in = r.Int64N(1 << 24)
	case "GetObject":
		out = r.Int64N(1 << 24)
	case "ListObjects":
		out = 300 + r.Int64N(20000)
	}
	a := &g.add
	a.ob()
	a.ks("SignatureVersion", "SigV4")
	a.ks("CipherSuite", "TLS_AES_128_GCM_SHA256")
	a.ki("bytesTransferredIn", in)
	a.ks("AuthenticationMethod", "AuthHeader")
	a.ks("x-amz-id-2", randStr(r, alnum+"+/", 76))
	a.ki("bytesTransferredOut", out)
	a.oe()
	if list {
		g.res = append(g.res, Resource{Type: "AWS::S3::Object", ARNPrefix: "arn:aws:s3:::" + b + "/" + key[:strings.IndexByte(key, '/')+1]})
	} else {
		g.res = append(g.res, Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + b + "/" + key})
	}
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + b})
}

func (g *gen) dynamo() {
	r, rq := g.r, &g.req
	table := g.name()
	rq.ob()
	rq.ks("tableName", table)
	rq.k("key")
	rq.ob()
	rq.ks("pk", oneOf(r, []string{"USER#", "ORDER#", "SESSION#"})+hexStr(r, 12))
	rq.ks("sk", oneOf(r, []string{"PROFILE", "META", "ITEM#"})+strconv.Itoa(r.IntN(100)))
	rq.oe()
	if g.def.name == "Query" {
		rq.ks("keyConditionExpression", "#pk = :pk")
		rq.ks("indexName", "gsi1")
	}
	rq.ks("returnConsumedCapacity", "TOTAL")
	rq.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::DynamoDB::Table", ARN: g.arn("dynamodb", "table/"+table)})
}

func (g *gen) kms() {
	d, r, rq := g.def, g.r, &g.req
	key := g.arn("kms", "key/"+uuid(r))
	if d.name != "Decrypt" && d.name != "GenerateDataKey" && d.name != "Encrypt" {
		g.generic()
		return
	}
	rq.ob()
	if d.name != "Decrypt" || r.IntN(2) == 0 {
		rq.ks("keyId", key)
	}
	rq.k("encryptionContext")
	rq.ob()
	switch r.IntN(3) {
	case 0:
		rq.ks("aws:s3:arn", "arn:aws:s3:::"+g.bucket())
	case 1:
		rq.ks("SecretARN", g.arn("secretsmanager", "secret:"+g.name()))
		rq.ks("SecretVersionId", uuid(r))
	default:
		rq.ks("aws:lambda:FunctionArn", g.arn("lambda", "function:"+g.name()))
	}
	rq.oe()
	if d.name == "GenerateDataKey" {
		rq.ks("keySpec", "AES_256")
	} else {
		rq.ks("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	}
	rq.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::KMS::Key", ARN: key})
}
