package bench

import (
	"strconv"
	"time"
)

// Builders for calls whose parameters matter to security queries. Each
// returns true when it has filled the event.

func (g *gen) assumeRole() bool {
	r, rq, d := g.r, &g.req, g.def
	role := oneOf(r, []string{"OrganizationAccountAccessRole", "ReadOnlyAuditRole", "DeployRole", g.name() + "-task-role", g.name() + "-fn-role"})
	roleARN := "arn:aws:iam::" + g.acct.id + ":role/" + role
	sess := oneOf(r, firstNames) + "-" + strconv.Itoa(int(g.t.Unix()))
	rq.ob()
	rq.ks("roleArn", roleARN)
	rq.ks("roleSessionName", sess)
	switch d.name {
	case "AssumeRoleWithSAML":
		rq.ks("principalArn", g.ui.IdentityProvider)
		rq.ki("durationSeconds", 3600)
	case "AssumeRoleWithWebIdentity":
		rq.ks("providerId", g.ui.IdentityProvider)
		rq.ki("durationSeconds", 3600)
	default:
		rq.ki("durationSeconds", int64(oneOf(r, []int{900, 3600, 43200})))
		if r.IntN(3) == 0 {
			rq.ks("externalId", hexStr(r, 32))
		}
	}
	rq.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::IAM::Role", ARN: roleARN})
	if g.failed {
		return true
	}
	key := "ASIA" + randStr(r, upperDigits, 16)
	rs := &g.resp
	rs.ob()
	rs.k("credentials")
	rs.ob()
	rs.ks("accessKeyId", key)
	rs.ks("sessionToken", randStr(r, alnum, 120))
	rs.ks("expiration", g.t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM"))
	rs.oe()
	rs.k("assumedRoleUser")
	rs.ob()
	roleID := "AROA" + randStr(r, upperDigits, 17)
	rs.ks("assumedRoleId", roleID+":"+sess)
	rs.ks("arn", "arn:aws:sts::"+g.acct.id+":assumed-role/"+role+"/"+sess)
	rs.oe()
	if d.name != "AssumeRole" {
		rs.ks("subjectFromWebIdentityToken", g.ui.UserName)
		rs.ks("audience", "sts.amazonaws.com")
	}
	rs.oe()
	return true
}

func (g *gen) runInstances() bool {
	r, rq := g.r, &g.req
	typ := oneOf(r, []string{"t3.micro", "t3.large", "m6i.xlarge", "c6g.2xlarge", "r6i.large"})
	rq.ob()
	rq.k("instancesSet")
	rq.ob()
	rq.k("items")
	rq.ab()
	rq.ob()
	rq.ks("imageId", "ami-"+hexStr(r, 17))
	rq.ki("minCount", 1)
	rq.ki("maxCount", 1)
	rq.oe()
	rq.ae()
	rq.oe()
	rq.ks("instanceType", typ)
	rq.k("blockDeviceMapping")
	rq.ob()
	rq.oe()
	rq.k("monitoring")
	rq.ob()
	rq.kb("enabled", false)
	rq.oe()
	rq.kb("disableApiTermination", false)
	rq.k("iamInstanceProfile")
	rq.ob()
	rq.ks("name", g.name()+"-instance-profile")
	rq.oe()
	rq.oe()
	if g.failed {
		return true
	}
	rs := &g.resp
	rs.ob()
	rs.ks("requestId", uuid(r))
	rs.ks("reservationId", "r-"+hexStr(r, 17))
	rs.ks("ownerId", g.acct.id)
	rs.k("instancesSet")
	rs.ob()
	rs.k("items")
	rs.ab()
	rs.ob()
	rs.ks("instanceId", "i-"+hexStr(r, 17))
	rs.ks("instanceType", typ)
	rs.k("instanceState")
	rs.ob()
	rs.ki("code", 0)
	rs.ks("name", "pending")
	rs.oe()
	rs.ks("privateIpAddress", privateIP(r))
	rs.ks("subnetId", "subnet-"+hexStr(r, 17))
	rs.ks("vpcId", "vpc-"+hexStr(r, 17))
	rs.oe()
	rs.ae()
	rs.oe()
	rs.oe()
	return true
}

func (g *gen) sgIngress() bool {
	r, rq := g.r, &g.req
	cidr := oneOf(r, []string{"0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", randIP(r) + "/32"})
	port := int64(oneOf(r, []int{22, 443, 3389, 5432, 6379, 8080}))
	rq.ob()
	rq.ks("groupId", "sg-"+hexStr(r, 17))
	rq.k("ipPermissions")
	rq.ob()
	rq.k("items")
	rq.ab()
	rq.ob()
	rq.ks("ipProtocol", "tcp")
	rq.ki("fromPort", port)
	rq.ki("toPort", port)
	rq.k("groups")
	rq.ob()
	rq.oe()
	rq.k("ipRanges")
	rq.ob()
	rq.k("items")
	rq.ab()
	rq.ob()
	rq.ks("cidrIp", cidr)
	rq.ks("description", "added by "+oneOf(r, firstNames))
	rq.oe()
	rq.ae()
	rq.oe()
	rq.oe()
	rq.ae()
	rq.oe()
	rq.oe()
	if !g.failed {
		g.resp.ob()
		g.resp.ks("requestId", uuid(r))
		g.resp.kb("_return", true)
		g.resp.oe()
	}
	return true
}

func (g *gen) bucketPolicy() bool {
	r, rq := g.r, &g.req
	b := g.bucket()
	principal := "arn:aws:iam::" + g.acct.id + ":root"
	if r.IntN(4) == 0 {
		principal = "*"
	}
	rq.ob()
	rq.ks("bucketName", b)
	rq.ks("Host", b+".s3."+g.region+".amazonaws.com")
	rq.k("bucketPolicy")
	rq.ob()
	rq.ks("Version", "2012-10-17")
	rq.k("Statement")
	rq.ab()
	rq.ob()
	rq.ks("Sid", "AllowRead")
	rq.ks("Effect", "Allow")
	rq.k("Principal")
	rq.ob()
	rq.ks("AWS", principal)
	rq.oe()
	rq.strs("Action", "s3:GetObject", "s3:ListBucket")
	rq.strs("Resource", "arn:aws:s3:::"+b, "arn:aws:s3:::"+b+"/*")
	rq.oe()
	rq.ae()
	rq.oe()
	rq.ks("policy", "")
	rq.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + b})
	return true
}

func (g *gen) createAccessKey() bool {
	r := g.r
	user := oneOf(r, firstNames) + "." + oneOf(r, lastNames)
	g.req.ob()
	g.req.ks("userName", user)
	g.req.oe()
	if g.failed {
		return true
	}
	rs := &g.resp
	rs.ob()
	rs.k("accessKey")
	rs.ob()
	rs.ks("userName", user)
	rs.ks("accessKeyId", "AKIA"+randStr(r, upperDigits, 16))
	rs.ks("status", "Active")
	rs.ks("createDate", g.t.Format("Jan 2, 2006, 3:04:05 PM"))
	rs.oe()
	rs.oe()
	return true
}

func (g *gen) trailOp() bool {
	g.req.ob()
	g.req.ks("name", g.arn("cloudtrail", "trail/"+g.acct.name+"-org-trail"))
	g.req.oe()
	return true
}

func (g *gen) invoke() bool {
	r := g.r
	fn := g.arn("lambda", "function:"+g.name()+"-"+oneOf(r, []string{"handler", "worker", "api", "cron"}))
	g.req.ob()
	g.req.ks("functionName", fn)
	g.req.ks("invocationType", oneOf(r, []string{"RequestResponse", "Event"}))
	if r.IntN(2) == 0 {
		g.req.ks("sourceArn", g.arn("sqs", g.name()))
	}
	g.req.oe()
	g.add.ob()
	g.add.ks("functionVersion", fn+":$LATEST")
	g.add.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::Lambda::Function", ARN: fn})
	return true
}

func (g *gen) secret() bool {
	id := g.arn("secretsmanager", "secret:"+g.name()+"/db-credentials-"+randStr(g.r, alnum, 6))
	g.req.ob()
	g.req.ks("secretId", id)
	g.req.oe()
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::SecretsManager::Secret", ARN: id})
	return true
}

func (g *gen) parameter() bool {
	g.req.ob()
	g.req.ks("name", "/"+g.name()+"/"+oneOf(g.r, []string{"db/password", "api/key", "feature-flags", "config"}))
	g.req.kb("withDecryption", g.r.IntN(2) == 0)
	g.req.oe()
	return true
}

func (g *gen) sqs() bool {
	r, rq := g.r, &g.req
	q := g.name()
	rq.ob()
	rq.ks("queueUrl", "https://sqs."+g.region+".amazonaws.com/"+g.acct.id+"/"+q)
	switch g.def.name {
	case "ReceiveMessage":
		rq.ki("maxNumberOfMessages", 10)
		rq.ki("waitTimeSeconds", 20)
		rq.strs("messageAttributeNames", "All")
	case "DeleteMessage":
		rq.ks("receiptHandle", randStr(r, alnum, 40))
	default:
		rq.ks("messageBody", "HIDDEN_DUE_TO_SECURITY_REASONS")
		rq.ki("delaySeconds", 0)
	}
	rq.oe()
	if !g.failed && g.def.name == "SendMessage" {
		g.resp.ob()
		g.resp.ks("messageId", uuid(r))
		g.resp.ks("mD5OfMessageBody", hexStr(r, 32))
		g.resp.oe()
	}
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::SQS::Queue", ARN: g.arn("sqs", q)})
	return true
}

func (g *gen) publish() bool {
	topic := g.arn("sns", g.name()+"-events")
	g.req.ob()
	g.req.ks("topicArn", topic)
	g.req.ks("message", "HIDDEN_DUE_TO_SECURITY_REASONS")
	g.req.oe()
	if !g.failed {
		g.resp.ob()
		g.resp.ks("messageId", uuid(g.r))
		g.resp.oe()
	}
	g.res = append(g.res, Resource{AccountID: g.acct.id, Type: "AWS::SNS::Topic", ARN: topic})
	return true
}

func (g *gen) createRole() bool {
	r := g.r
	role := g.name() + "-" + oneOf(r, []string{"lambda", "ecs", "ci", "audit"}) + "-role"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	g.req.ob()
	g.req.ks("roleName", role)
	g.req.ks("assumeRolePolicyDocument", trust)
	g.req.ki("maxSessionDuration", 3600)
	g.req.oe()
	if g.failed {
		return true
	}
	rs := &g.resp
	rs.ob()
	rs.k("role")
	rs.ob()
	rs.ks("path", "/")
	rs.ks("roleName", role)
	rs.ks("roleId", "AROA"+randStr(r, upperDigits, 17))
	rs.ks("arn", "arn:aws:iam::"+g.acct.id+":role/"+role)
	rs.ks("createDate", g.t.Format("Jan 2, 2006, 3:04:05 PM"))
	rs.ks("assumeRolePolicyDocument", "%7B%22Version%22%3A%222012-10-17%22%7D")
	rs.oe()
	rs.oe()
	return true
}
