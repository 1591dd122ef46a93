package bench

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"time"
)

// gen builds the events of one file at a time. It is owned by one worker;
// its scratch buffers are reused for every event.
type gen struct {
	m       *model
	r       *rand.Rand
	acct    *account
	region  string
	t       time.Time
	def     *eventDef
	p       *principal
	failed  bool
	rec     Record
	ui      UserIdentity
	sc      SessionContext
	tls     TLSDetails
	req     jw
	resp    jw
	add     jw
	sed     jw
	res     []Resource
	ro      bool
	timeBuf []byte
}

// event appends one event at time t to out.
func (g *gen) event(out []byte, t time.Time) []byte {
	g.t = t
	tab := &g.m.regional
	if g.region == "us-east-1" {
		tab = &g.m.global
	}
	g.def = &g.m.defs[tab.pick(g.r)]
	g.p = g.pickPrincipal()
	if g.def.class == clsCaller && g.p.kind == kindAutomation && len(g.p.prefer) > 0 && g.r.IntN(10) < 7 {
		g.def = &g.m.defs[oneOf(g.r, g.p.prefer)]
	}
	g.fill()
	return g.rec.AppendJSON(out)
}

func (g *gen) pickPrincipal() *principal {
	c := g.def.class
	a := g.acct
	if len(a.groups[c]) == 0 {
		c = clsCaller
	}
	return a.groups[c][a.tables[c].pick(g.r)]
}

func (g *gen) fill() {
	d, p, r := g.def, g.p, g.r
	g.rec = Record{
		EventVersion:       d.version,
		EventTime:          g.eventTime(),
		EventSource:        d.svc.source,
		EventName:          d.name,
		AWSRegion:          g.region,
		EventID:            uuid(r),
		EventType:          d.eventType,
		ManagementEvent:    d.category == catManagement,
		RecipientAccountID: g.acct.id,
		EventCategory:      d.category,
		APIVersion:         d.svc.api,
	}
	if d.category == catData && d.svc.api == "" {
		g.rec.APIVersion = ""
	}
	g.req, g.resp, g.add, g.sed = jw{b: g.req.b[:0]}, jw{b: g.resp.b[:0]}, jw{b: g.add.b[:0]}, jw{b: g.sed.b[:0]}
	g.res = g.res[:0]
	g.identity()
	g.rec.SourceIPAddress = oneOf(r, p.ips)
	g.rec.UserAgent = oneOf(r, p.agents)
	if p.console && d.class == clsCaller && g.rec.UserAgent == "AWS Internal" {
		g.rec.SourceIPAddress = "AWS Internal"
	}
	if d.eventType != "AwsConsoleSignIn" {
		g.ro = d.read
		g.rec.ReadOnly = &g.ro
		g.rec.RequestID = g.requestID()
	}
	g.failed = false
	if d.eventType == "AwsApiCall" || d.eventType == "AwsVpceEvent" {
		g.maybeError()
	}
	g.build()
	g.finish()
}

// finish moves the scratch buffers into the record and adds transport details.
func (g *gen) finish() {
	d, r := g.def, g.r
	g.rec.RequestParameters = raw(g.req.b, d.eventType != "AwsServiceEvent")
	g.rec.ResponseElements = raw(g.resp.b, d.eventType != "AwsServiceEvent")
	if g.failed && d.eventType != "AwsConsoleSignIn" {
		g.rec.ResponseElements = nullJSON
	}
	g.rec.AdditionalEventData = raw(g.add.b, false)
	g.rec.ServiceEventDetails = raw(g.sed.b, false)
	if len(g.res) > 0 {
		g.rec.Resources = g.res
	}
	ip := g.rec.SourceIPAddress
	if d.eventType == "AwsServiceEvent" || strings.HasSuffix(ip, ".amazonaws.com") || ip == "AWS Internal" {
		return
	}
	host := d.svc.prefix + "." + g.region + ".amazonaws.com"
	if d.svc.global || d.eventType == "AwsConsoleSignIn" {
		host = strings.TrimSuffix(d.svc.source, ".amazonaws.com") + ".amazonaws.com"
		if d.svc.source == "signin.amazonaws.com" {
			host = "signin.aws.amazon.com"
		}
	}
	if d.svc.source == "s3.amazonaws.com" && g.rec.RequestParameters != nil {
		host = "s3." + g.region + ".amazonaws.com"
	}
	g.tls = TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: host}
	if r.IntN(5) == 0 {
		g.tls.TLSVersion, g.tls.CipherSuite = "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"
	}
	g.rec.TLSDetails = &g.tls
	if g.p.vpce != "" && d.eventType == "AwsApiCall" && vpceServices[d.svc.prefix] && r.IntN(2) == 0 {
		g.rec.VPCEndpointID = g.p.vpce
		g.rec.SourceIPAddress = privateIP(r)
	}
	if d.eventType == "AwsVpceEvent" {
		g.rec.VPCEndpointID = oneOf(r, g.acct.vpces)
		g.rec.VPCEndpointAccountID = g.acct.id
		g.rec.SourceIPAddress = privateIP(r)
		g.rec.ReadOnly = nil
	}
}

var vpceServices = map[string]bool{"s3": true, "dynamodb": true, "kms": true, "secretsmanager": true, "sts": true, "ssm": true, "logs": true, "sqs": true, "ecr": true}

func raw(b []byte, nullIfEmpty bool) json.RawMessage {
	if len(b) == 0 {
		if nullIfEmpty {
			return nullJSON
		}
		return nil
	}
	return b
}

func (g *gen) eventTime() string {
	g.timeBuf = g.t.AppendFormat(g.timeBuf[:0], "2006-01-02T15:04:05Z")
	return string(g.timeBuf)
}

func (g *gen) requestID() string {
	switch g.def.svc.prefix {
	case "s3":
		return randStr(g.r, upperHex, 16)
	case "dynamodb":
		return randStr(g.r, "ABCDEFGHIJKLMNOPQRSTUV0123456789", 52)
	}
	return uuid(g.r)
}

// identity sets the record's userIdentity from the principal's template,
// with session credentials that rotate every hour.
func (g *gen) identity() {
	p := g.p
	g.ui = p.id
	hour := g.t.Unix() / 3600
	h := splitmix64(p.seq<<32 ^ uint64(hour))
	switch p.kind {
	case kindAutomation, kindHuman, kindRoot:
		if p.session != nil || p.id.Type == "IAMUser" && !p.console || p.kind == kindRoot {
			pfx := "ASIA"
			if p.session == nil {
				pfx, h = "AKIA", splitmix64(p.seq)
			}
			g.ui.AccessKeyID = pfx + hashStr(h, upperDigits, 16)
		}
	case kindAccount:
		g.rec.SharedEventID = uuid(g.r)
	}
	if p.session != nil {
		g.sc = *p.session
		created := time.Unix(hour*3600+int64(h%1800), 0).UTC()
		g.sc.Attributes = SessionAttributes{CreationDate: created.Format("2006-01-02T15:04:05Z"), MFAAuthenticated: "false"}
		if p.kind == kindHuman && p.mfa {
			g.sc.Attributes.MFAAuthenticated = "true"
		}
		g.ui.SessionContext = &g.sc
		if p.console && g.def.class == clsCaller {
			g.rec.SessionCredentialFromConsole = "true"
		}
	}
	if g.def.class == clsServiceEvent {
		g.ui = UserIdentity{AccountID: g.acct.id, InvokedBy: p.id.InvokedBy}
		if g.r.IntN(2) == 0 {
			g.ui.InvokedBy = "AWS Internal"
		}
	}
	if p.kind == kindAutomation && p.session.SessionIssuer.UserName == "terraform-apply" && g.r.IntN(4) == 0 {
		g.ui.InvokedBy = "cloudformation.amazonaws.com"
	}
	g.rec.UserIdentity = &g.ui
}

func hashStr(h uint64, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[h%uint64(len(alphabet))]
		h /= uint64(len(alphabet))
		if h == 0 {
			h = splitmix64(uint64(i) ^ 0x5bd1e995)
		}
	}
	return string(b)
}

// maybeError turns about 6% of calls into failures with a realistic code
// and message for the service.
func (g *gen) maybeError() {
	d, r := g.def, g.r
	p := 0.045
	switch {
	case !d.read:
		p = 0.08
	case strings.HasPrefix(d.name, "GetBucket") && d.name != "GetBucketLocation" && d.name != "GetBucketAcl":
		p = 0.35
	case d.category == catData:
		p = 0.03
	}
	if g.p.kind == kindHuman && !d.read {
		p *= 1.5
	}
	if r.Float64() >= p {
		return
	}
	g.failed = true
	es := d.svc.errs
	x := r.IntN(100)
	switch {
	case d.eventType == "AwsVpceEvent":
		g.rec.ErrorCode, g.rec.ErrorMessage = "VpceAccessDenied", "The request was denied due to a VPC endpoint policy"
	case strings.HasPrefix(d.name, "GetBucket") && s3NotFound[d.name] != "":
		g.rec.ErrorCode, g.rec.ErrorMessage = s3NotFound[d.name], "The configuration does not exist"
	case x < 50:
		g.rec.ErrorCode = es.denied
		action := d.svc.prefix + ":" + d.name
		g.rec.ErrorMessage = "User: " + g.callerARN() + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
		if es.denied == "Client.UnauthorizedOperation" {
			g.rec.ErrorMessage = "You are not authorized to perform this operation. " + g.rec.ErrorMessage + ". Encoded authorization failure message: " + randStr(r, alnum+"-_", 180)
		} else if d.svc.prefix == "s3" {
			g.rec.ErrorMessage = "Access Denied"
		}
	case x < 75 && d.read:
		g.rec.ErrorCode, g.rec.ErrorMessage = es.throttle, "Rate exceeded"
	case x < 85 && d.svc.prefix == "dynamodb":
		g.rec.ErrorCode, g.rec.ErrorMessage = "ConditionalCheckFailedException", "The conditional request failed"
	case strings.HasPrefix(d.name, "Create"):
		g.rec.ErrorCode, g.rec.ErrorMessage = "EntityAlreadyExistsException", "Resource already exists."
		if d.svc.prefix != "iam" {
			g.rec.ErrorCode = "ResourceAlreadyExistsException"
		}
	case !d.read && x < 90:
		g.rec.ErrorCode, g.rec.ErrorMessage = "ValidationException", "1 validation error detected: Value at '"+d.svc.idKey+"' failed to satisfy constraint"
		if d.svc.errs == errEC2 {
			g.rec.ErrorCode = "Client.InvalidParameterValue"
		}
	default:
		g.rec.ErrorCode, g.rec.ErrorMessage = es.notFound, "The specified resource was not found."
		if es.notFound == "NoSuchEntityException" {
			g.rec.ErrorCode, g.rec.ErrorMessage = "NoSuchEntity", "The role with name "+g.name()+" cannot be found."
		}
	}
}

var s3NotFound = map[string]string{
	"GetBucketPolicy": "NoSuchBucketPolicy", "GetBucketTagging": "NoSuchTagSet", "GetBucketCors": "NoSuchCORSConfiguration",
	"GetBucketWebsite": "NoSuchWebsiteConfiguration", "GetBucketLifecycle": "NoSuchLifecycleConfiguration",
	"GetBucketReplication": "ReplicationConfigurationNotFoundError", "GetBucketEncryption": "ServerSideEncryptionConfigurationNotFoundError",
	"GetBucketOwnershipControls": "OwnershipControlsNotFoundError", "GetBucketPublicAccessBlock": "NoSuchPublicAccessBlockConfiguration",
	"GetBucketObjectLockConfiguration": "ObjectLockConfigurationNotFoundError",
}

func (g *gen) callerARN() string {
	if g.ui.ARN != "" {
		return g.ui.ARN
	}
	return "arn:aws:iam::" + g.acct.id + ":root"
}

// name returns a resource name of the account, skewed towards a few.
func (g *gen) name() string {
	u := g.r.Float64()
	i := int(u * u * float64(len(apps)))
	return apps[i] + "-" + envs[int(g.acct.id[i%12]-'0')%len(envs)]
}

// bucket returns a bucket name of the account.
func (g *gen) bucket() string { return g.acct.name + "-" + g.name() + "-" + g.acct.id[8:] }

func (g *gen) arn(svc, res string) string {
	return "arn:aws:" + svc + ":" + g.region + ":" + g.acct.id + ":" + res
}
