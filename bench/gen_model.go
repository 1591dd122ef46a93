package bench

import "strings"

// eventClass says which group of principals performs an event.
type eventClass uint8

const (
	clsCaller         eventClass = iota // humans and automation
	clsConsole                          // console sign-in events
	clsService                          // API calls by AWS services
	clsSAML                             // AssumeRoleWithSAML
	clsWebIdentity                      // web identity federation
	clsIdentityCenter                   // AWS access portal
	clsAccount                          // cross-account callers
	clsServiceEvent                     // AwsServiceEvent
	clsNetwork                          // AwsVpceEvent
	numClasses
)

// Event categories.
const (
	catManagement = "Management"
	catData       = "Data"
	catNetwork    = "NetworkActivity"
)

// eventDef is one entry of the generator's event catalog.
type eventDef struct {
	svc       *service
	name      string
	read      bool
	category  string
	eventType string
	class     eventClass
	weight    float64
	version   string
}

// special events performed by principals other than ordinary callers.
var specials = []struct {
	source, name string
	class        eventClass
	share        float64
}{
	{"signin.amazonaws.com", "ConsoleLogin", clsConsole, .006},
	{"signin.amazonaws.com", "CheckMfa", clsConsole, .001},
	{"signin.amazonaws.com", "SwitchRole", clsConsole, .0015},
	{"signin.amazonaws.com", "ExitRole", clsConsole, .0004},
	{"signin.amazonaws.com", "RenewRole", clsConsole, .0004},
	{"sts.amazonaws.com", "AssumeRoleWithSAML", clsSAML, .002},
	{"sts.amazonaws.com", "AssumeRoleWithWebIdentity", clsWebIdentity, .004},
	{"cognito-identity.amazonaws.com", "GetId", clsWebIdentity, .001},
	{"cognito-identity.amazonaws.com", "GetCredentialsForIdentity", clsWebIdentity, .002},
	{"sso.amazonaws.com", "Federate", clsIdentityCenter, .001},
	{"sso.amazonaws.com", "ListAccounts", clsIdentityCenter, .001},
	{"sso.amazonaws.com", "ListAccountRoles", clsIdentityCenter, .001},
	{"sso.amazonaws.com", "GetRoleCredentials", clsIdentityCenter, .0015},
	{"sso.amazonaws.com", "Logout", clsIdentityCenter, .0002},
	{"sts.amazonaws.com", "AssumeRole", clsService, .012},
	{"kms.amazonaws.com", "Decrypt", clsService, .006},
	{"kms.amazonaws.com", "GenerateDataKey", clsService, .003},
	{"logs.amazonaws.com", "CreateLogStream", clsService, .002},
	{"s3.amazonaws.com", "GetObject", clsAccount, .002},
	{"kms.amazonaws.com", "Decrypt", clsAccount, .001},
	{"sts.amazonaws.com", "AssumeRole", clsAccount, .001},
	{"kms.amazonaws.com", "RotateKey", clsServiceEvent, .0003},
	{"secretsmanager.amazonaws.com", "RotationStarted", clsServiceEvent, .0004},
	{"secretsmanager.amazonaws.com", "RotationSucceeded", clsServiceEvent, .0004},
	{"secretsmanager.amazonaws.com", "RotationFailed", clsServiceEvent, .00005},
	{"backup.amazonaws.com", "BackupJobCompleted", clsServiceEvent, .0004},
	{"ec2.amazonaws.com", "SharedSnapshotVolumeCreated", clsServiceEvent, .0001},
	{"s3.amazonaws.com", "JobStatusChanged", clsServiceEvent, .0001},
	{"s3.amazonaws.com", "GetObject", clsNetwork, .006},
	{"s3.amazonaws.com", "PutObject", clsNetwork, .002},
	{"s3.amazonaws.com", "ListObjects", clsNetwork, .001},
	{"kms.amazonaws.com", "Decrypt", clsNetwork, .002},
	{"secretsmanager.amazonaws.com", "GetSecretValue", clsNetwork, .002},
	{"sts.amazonaws.com", "GetCallerIdentity", clsNetwork, .001},
	{"ec2.amazonaws.com", "DescribeInstances", clsNetwork, .001},
}

// Target shares of the two bulk groups; the specials keep their own share.
const (
	shareManagement = 0.58
	shareData       = 0.36
)

// rareShares pins the share of security-relevant calls that detections look
// for, so that they occur even in small runs.
var rareShares = map[string]float64{
	"cloudtrail.amazonaws.com StopLogging":            .0003,
	"cloudtrail.amazonaws.com DeleteTrail":            .0002,
	"iam.amazonaws.com CreateAccessKey":               .0015,
	"iam.amazonaws.com CreateUser":                    .0008,
	"ec2.amazonaws.com AuthorizeSecurityGroupIngress": .0006,
	"s3.amazonaws.com PutBucketPolicy":                .0004,
}

var extraServices = map[string]*service{
	"signin.amazonaws.com":           {source: "signin.amazonaws.com", prefix: "signin", global: true, errs: errQuery},
	"cognito-identity.amazonaws.com": {source: "cognito-identity.amazonaws.com", prefix: "cognito-identity", errs: errJSON, idKey: "identityPoolId"},
}

var versions = []string{"1.08", "1.09", "1.09", "1.10", "1.11"}

// model is the immutable state shared by all workers.
type model struct {
	defs     []eventDef
	global   alias // us-east-1: every event
	regional alias // other regions: no global services
	byName   map[string]int
	accounts []*account
}

func newModel(seed int64, nAccounts int) *model {
	m := &model{byName: map[string]int{}}
	bySource := map[string]*service{}
	for k, v := range extraServices {
		bySource[k] = v
	}
	var mgmtSum, dataSum float64
	for i := range services {
		s := &services[i]
		bySource[s.source] = s
		var sm, sd float64
		parseNames(s.names, func(_ string, w float64, data bool) {
			if data {
				sd += w
			} else {
				sm += w
			}
		})
		parseNames(s.names, func(name string, w float64, data bool) {
			d := eventDef{svc: s, name: name, read: isReadName(name), eventType: "AwsApiCall", class: clsCaller}
			if data {
				d.category, d.weight = catData, w
				dataSum += w
			} else {
				d.category, d.weight = catManagement, s.weight*w/sm
				mgmtSum += d.weight
			}
			m.add(d)
		})
	}
	for i := range m.defs {
		d := &m.defs[i]
		if d.category == catData {
			d.weight *= shareData / dataSum
		} else {
			d.weight *= shareManagement / mgmtSum
		}
	}
	for k, share := range rareShares {
		m.defs[m.byName[k]].weight = share
	}
	for _, sp := range specials {
		s := bySource[sp.source]
		d := eventDef{svc: s, name: sp.name, read: isReadName(sp.name), eventType: "AwsApiCall", class: sp.class, weight: sp.share, category: catManagement}
		switch {
		case sp.class == clsConsole:
			d.eventType = "AwsConsoleSignIn"
		case sp.class == clsServiceEvent:
			d.eventType = "AwsServiceEvent"
		case sp.class == clsNetwork:
			d.eventType, d.category = "AwsVpceEvent", catNetwork
		case s.source == "s3.amazonaws.com":
			d.category = catData
		}
		m.add(d)
	}
	wAll := make([]float64, len(m.defs))
	wReg := make([]float64, len(m.defs))
	for i, d := range m.defs {
		wAll[i] = d.weight
		if !d.svc.global {
			wReg[i] = d.weight
		}
	}
	m.global, m.regional = newAlias(wAll), newAlias(wReg)
	m.accounts = newAccounts(seed, nAccounts, []string{"198.51.100.24", "203.0.113.77", "192.0.2.140"})
	m.assignPreferences(seed)
	return m
}

func (m *model) add(d eventDef) {
	h := 0
	for _, c := range d.svc.source + d.name {
		h = h*31 + int(c)
	}
	d.version = versions[(h&0x7fffffff)%len(versions)]
	m.byName[d.svc.source+" "+d.name] = len(m.defs)
	m.defs = append(m.defs, d)
}

// assignPreferences gives each automation principal a few calls it makes
// over and over, drawn from regional caller events.
func (m *model) assignPreferences(seed int64) {
	r := newRand(seed, 1<<41)
	for _, a := range m.accounts {
		for _, p := range a.groups[clsCaller] {
			if p.kind != kindAutomation {
				continue
			}
			for len(p.prefer) < 3+r.IntN(5) {
				i := m.regional.pick(r)
				if d := &m.defs[i]; d.class == clsCaller && (d.read || d.category == catData) && !strings.HasPrefix(d.name, "Delete") {
					p.prefer = append(p.prefer, i)
				}
			}
		}
	}
}
