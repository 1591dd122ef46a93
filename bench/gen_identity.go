package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// principalKind is the shape of a principal's userIdentity.
type principalKind uint8

const (
	kindAutomation principalKind = iota // AssumedRole used by software
	kindHuman                           // IAMUser, SSO AssumedRole or FederatedUser
	kindRoot
	kindService // AWSService
	kindSAML
	kindWebIdentity
	kindIdentityCenter
	kindAccount // AWSAccount
)

// principal is one actor in an account. Its identity is a template: session
// fields (access key, creation date) are filled per event.
type principal struct {
	kind    principalKind
	id      UserIdentity
	session *SessionContext // nil: no session
	agents  []string
	ips     []string
	console bool   // a human who mostly uses the web console
	mfa     bool   // has MFA on console sign-in
	vpce    string // VPC endpoint used for some calls
	prefer  []int  // catalog entries this automation role mostly calls
	seq     uint64 // stable number for deriving session keys
}

// account is one AWS account with its principals, grouped by the event
// class they serve, each group with a Zipf-like alias table.
type account struct {
	id      string
	name    string
	natIPs  []string
	vpces   []string
	storeID string // Identity Center identity store
	groups  [numClasses][]*principal
	tables  [numClasses]alias
}

var (
	firstNames = strings.Fields("alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor walter xena yusuf zoe amir bea chen dmitri elena farah gopal hana ines jonas kenji lara mateo noor omar priya quinn rosa sven tara")
	lastNames  = strings.Fields("smith jones garcia miller davis lopez wilson moore taylor thomas lee walker hall young king wright scott green baker adams nelson hill ramirez campbell mitchell roberts carter phillips evans turner torres parker collins edwards stewart morris murphy cook rogers")
	apps       = strings.Fields("checkout payments orders catalog search billing identity ledger inventory shipping reporting ingest notifier scheduler gateway analytics")
	envs       = []string{"prod", "prod", "staging", "dev"}
	permSets   = []string{"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "DeveloperAccess", "SecurityAudit", "BillingAccess"}
	services4  = []string{"lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "cloudformation.amazonaws.com", "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "config.amazonaws.com", "backup.amazonaws.com", "events.amazonaws.com", "states.amazonaws.com", "sso.amazonaws.com", "access-analyzer.amazonaws.com", "guardduty.amazonaws.com", "securityhub.amazonaws.com"}
	publicNets = []int{3, 13, 18, 23, 34, 35, 44, 52, 54, 63, 66, 71, 73, 76, 81, 82, 86, 90, 98, 104, 108, 142, 151, 174, 185, 188, 203, 212, 217}
)

func randIP(r *rand.Rand) string {
	return strconv.Itoa(oneOf(r, publicNets)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
}

func privateIP(r *rand.Rand) string {
	return "10." + strconv.Itoa(r.IntN(64)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
}

// newAccounts builds the principal population of every account.
func newAccounts(seed int64, n int, officeIPs []string) []*account {
	r := newRand(seed, 1<<40)
	accts := make([]*account, n)
	var seq uint64
	for i := range accts {
		a := &account{
			id:      strconv.FormatInt(100000000000+r.Int64N(899999999999), 10),
			name:    oneOf(r, apps) + "-" + []string{"prod", "staging", "dev", "shared", "security", "sandbox"}[i%6],
			storeID: "d-" + hexStr(r, 10),
		}
		for range 4 {
			a.natIPs = append(a.natIPs, randIP(r))
		}
		for range 3 {
			a.vpces = append(a.vpces, "vpce-"+hexStr(r, 17))
		}
		build := popBuilder{r: r, a: a, office: officeIPs, seq: &seq}
		build.all()
		for c := range a.groups {
			g := a.groups[c]
			if len(g) == 0 {
				continue
			}
			s := 1.1
			if c == int(clsCaller) {
				s = 1.25
			}
			a.tables[c] = newAlias(zipfWeights(len(g), s))
		}
		accts[i] = a
	}
	return accts
}

type popBuilder struct {
	r      *rand.Rand
	a      *account
	office []string
	seq    *uint64
}

func (b *popBuilder) add(p *principal, classes ...eventClass) {
	*b.seq++
	p.seq = *b.seq
	for _, c := range classes {
		b.a.groups[c] = append(b.a.groups[c], p)
	}
}

func (b *popBuilder) id(prefix string) string { return prefix + randStr(b.r, upperDigits, 17) }

// all adds principals in rank order: the busiest automation first, then
// humans, then a long tail of rarely active people.
func (b *popBuilder) all() {
	r, a := b.r, b.a
	for i := range 24 {
		b.add(b.automation(i), clsCaller, clsNetwork)
	}
	root := &principal{kind: kindRoot, console: true, mfa: r.IntN(2) == 0,
		id:     UserIdentity{Type: "Root", PrincipalID: a.id, ARN: "arn:aws:iam::" + a.id + ":root", AccountID: a.id},
		agents: []string{browserUA(r)}, ips: []string{oneOf(r, b.office), randIP(r)}}
	for i := range 60 {
		b.add(b.human(i < 40), clsCaller, clsConsole, clsNetwork)
		if i == 1 {
			b.add(root, clsConsole) // root signs in now and then
		}
	}
	for range 300 {
		b.add(b.human(false), clsCaller, clsConsole)
	}
	b.a.groups[clsCaller] = append(b.a.groups[clsCaller], root) // and rarely calls APIs
	for _, s := range services4 {
		b.add(&principal{kind: kindService, id: UserIdentity{Type: "AWSService", InvokedBy: s}, agents: []string{s}, ips: []string{s}}, clsService, clsServiceEvent)
	}
	idp := oneOf(r, []string{"Okta", "AzureAD", "Google", "OneLogin"})
	for range 12 {
		u := oneOf(r, firstNames) + "." + oneOf(r, lastNames) + "@example.com"
		b.add(&principal{kind: kindSAML, id: UserIdentity{Type: "SAMLUser", PrincipalID: randStr(r, alnum, 27) + "=:" + u, UserName: u,
			IdentityProvider: "arn:aws:iam::" + a.id + ":saml-provider/" + idp}, agents: []string{browserUA(r)}, ips: []string{oneOf(r, b.office), randIP(r)}}, clsSAML)
	}
	pool := a.id[:2] + "-" + hexStr(r, 8)
	for range 400 {
		sub := "us-east-1:" + uuid(r)
		b.add(&principal{kind: kindWebIdentity, id: UserIdentity{Type: "WebIdentityUser", PrincipalID: "cognito-identity.amazonaws.com:" + pool + ":" + sub,
			UserName: sub, IdentityProvider: "cognito-identity.amazonaws.com"}, agents: []string{mobileUA(r)}, ips: []string{randIP(r)}}, clsWebIdentity)
	}
	for range 30 {
		b.add(&principal{kind: kindIdentityCenter, id: UserIdentity{Type: "IdentityCenterUser", AccountID: a.id, CredentialID: randStr(r, alnum, 44),
			OnBehalfOf: &OnBehalfOf{UserID: uuid(r), IdentityStoreARN: "arn:aws:identitystore::" + a.id + ":identitystore/" + a.storeID}},
			agents: []string{browserUA(r)}, ips: []string{oneOf(r, b.office), randIP(r)}}, clsIdentityCenter)
	}
	for range 5 {
		ext := strconv.FormatInt(100000000000+r.Int64N(899999999999), 10)
		b.add(&principal{kind: kindAccount, id: UserIdentity{Type: "AWSAccount", PrincipalID: b.id("AROA") + ":" + oneOf(r, apps) + "-sync", AccountID: ext},
			agents: []string{sdkUA(r)}, ips: []string{randIP(r), randIP(r)}}, clsAccount)
	}
}

// automation returns an AssumedRole principal used by software.
func (b *popBuilder) automation(i int) *principal {
	r, a := b.r, b.a
	app := apps[i%len(apps)]
	p := &principal{kind: kindAutomation}
	var role, sess string
	sc := &SessionContext{WebIDFederationData: &WebIDFederationData{}}
	switch i % 7 {
	case 0: // ECS task
		role, sess = app+"-task-role", hexStr(r, 32)
		p.agents, p.ips = []string{sdkUA(r)}, a.natIPs[:2]
	case 1: // Lambda function
		role, sess = app+"-fn-role-"+randStr(r, alnum, 8), app+"-"+oneOf(r, envs)+"-handler"
		p.agents, p.ips = []string{sdkUA(r)}, []string{randIP(r)}
	case 2: // EC2 instance profile
		role, sess = app+"-instance-role", "i-"+hexStr(r, 17)
		sc.EC2RoleDelivery = "2.0"
		p.agents, p.ips = []string{cliUA(r), sdkUA(r)}, a.natIPs[2:]
	case 3: // CI through GitHub OIDC
		role, sess = "github-actions-deploy", "GitHubActions"
		sc.WebIDFederationData.FederatedProvider = "arn:aws:iam::" + a.id + ":oidc-provider/token.actions.githubusercontent.com"
		p.agents = []string{terraformUA(r), cliUA(r)}
		for range 40 {
			p.ips = append(p.ips, randIP(r))
		}
	case 4: // Terraform runner
		role, sess = "terraform-apply", "terraform-"+strconv.Itoa(10000000+r.IntN(89999999))
		p.agents, p.ips = []string{terraformUA(r)}, a.natIPs[:1]
	case 5: // monitoring vendor
		role, sess = "DatadogIntegrationRole", "DatadogAWSIntegration"
		p.agents = []string{"aws-sdk-go/1.44.327 (go1.21.5; linux; amd64)"}
		for range 8 {
			p.ips = append(p.ips, randIP(r))
		}
	default: // EKS pod through IRSA
		role, sess = app+"-irsa", "botocore-session-"+strconv.Itoa(1700000000+r.IntN(99999999))
		sc.WebIDFederationData.FederatedProvider = "arn:aws:iam::" + a.id + ":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/" + randStr(r, upperHex, 32)
		p.agents, p.ips = []string{sdkUA(r)}, a.natIPs[1:3]
	}
	if i > 0 && i%7 == 0 {
		role = fmt.Sprintf("%s-%d", role, i/7)
	}
	roleID := b.id("AROA")
	sc.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + a.id + ":role/" + role, AccountID: a.id, UserName: role}
	p.id = UserIdentity{Type: "AssumedRole", PrincipalID: roleID + ":" + sess, ARN: "arn:aws:sts::" + a.id + ":assumed-role/" + role + "/" + sess, AccountID: a.id}
	p.session = sc
	if r.IntN(3) == 0 {
		p.vpce = oneOf(r, a.vpces)
	}
	return p
}

// human returns an SSO role session, an IAM user or a federated user.
func (b *popBuilder) human(core bool) *principal {
	r, a := b.r, b.a
	first, last := oneOf(r, firstNames), oneOf(r, lastNames)
	p := &principal{kind: kindHuman, console: r.IntN(2) == 0, mfa: r.IntN(10) < 8}
	p.ips = []string{oneOf(r, b.office), randIP(r)}
	if !core {
		p.ips = []string{randIP(r)}
	}
	if p.console {
		p.agents = []string{browserUA(r), "AWS Internal"}
	} else {
		p.agents = []string{cliUA(r), sdkUA(r)}
	}
	switch n := r.IntN(10); {
	case n < 6:
		email := first + "." + last + "@example.com"
		role := "AWSReservedSSO_" + oneOf(r, permSets) + "_" + hexStr(r, 16)
		roleID := b.id("AROA")
		p.id = UserIdentity{Type: "AssumedRole", PrincipalID: roleID + ":" + email, ARN: "arn:aws:sts::" + a.id + ":assumed-role/" + role + "/" + email, AccountID: a.id}
		p.session = &SessionContext{SessionIssuer: &SessionIssuer{Type: "Role", PrincipalID: roleID,
			ARN: "arn:aws:iam::" + a.id + ":role/aws-reserved/sso.amazonaws.com/" + role, AccountID: a.id, UserName: role}, WebIDFederationData: &WebIDFederationData{}}
	case n < 9:
		user := first + "." + last
		p.id = UserIdentity{Type: "IAMUser", PrincipalID: b.id("AIDA"), ARN: "arn:aws:iam::" + a.id + ":user/" + user, AccountID: a.id, UserName: user}
	default:
		issuer := "federation-broker"
		user := first + last[:1]
		p.id = UserIdentity{Type: "FederatedUser", PrincipalID: a.id + ":" + user, ARN: "arn:aws:sts::" + a.id + ":federated-user/" + user, AccountID: a.id}
		p.session = &SessionContext{SessionIssuer: &SessionIssuer{Type: "IAMUser", PrincipalID: b.id("AIDA"), ARN: "arn:aws:iam::" + a.id + ":user/" + issuer, AccountID: a.id, UserName: issuer}, WebIDFederationData: &WebIDFederationData{}}
	}
	return p
}

func cliUA(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		return fmt.Sprintf("aws-cli/1.%d.%d Python/3.%d.%d Linux/5.10.%d-%d.amzn2.x86_64 botocore/1.%d.%d", 29+r.IntN(4), r.IntN(90), 8+r.IntN(4), r.IntN(15), 200+r.IntN(30), 200+r.IntN(30), 31+r.IntN(4), r.IntN(90))
	}
	os := oneOf(r, []string{"Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22", "Darwin/23.4.0 exe/arm64", "Darwin/22.6.0 exe/x86_64", "Windows/10 exe/AMD64"})
	return fmt.Sprintf("aws-cli/2.%d.%d Python/3.11.%d %s prompt/off command/%s", 13+r.IntN(5), r.IntN(30), 4+r.IntN(5), os, oneOf(r, []string{"s3.cp", "sts.get-caller-identity", "ec2.describe-instances", "logs.tail", "ssm.start-session", "iam.list-roles"}))
}

func sdkUA(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		v := 34 + r.IntN(4)
		return fmt.Sprintf("Boto3/1.%d.%d md/Botocore#1.%d.%d ua/2.0 os/linux#5.10.%d-%d.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.%d md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.%d.%d", v, r.IntN(150), v, r.IntN(150), 210+r.IntN(20), 200+r.IntN(30), r.IntN(9), v, r.IntN(150))
	case 1:
		return fmt.Sprintf("aws-sdk-go-v2/1.%d.%d os/linux lang/go#1.22.%d md/GOOS#linux md/GOARCH#amd64 api/%s#1.%d.%d", 24+r.IntN(8), r.IntN(10), r.IntN(8), oneOf(r, []string{"s3", "dynamodb", "sqs", "kms", "secretsmanager", "sts"}), 20+r.IntN(40), r.IntN(10))
	case 2:
		return fmt.Sprintf("aws-sdk-java/2.%d.%d Linux/5.10.%d-%d.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.%d+%d-LTS Java/17.0.%d vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy", 20+r.IntN(5), r.IntN(150), 210+r.IntN(20), 200+r.IntN(30), 8+r.IntN(4), r.IntN(9), 8+r.IntN(4))
	default:
		return fmt.Sprintf("aws-sdk-js/3.%d.0 ua/2.0 os/linux#5.10.%d-%d.amzn2.x86_64 lang/js md/nodejs#20.%d.0 api/%s#3.%d.0", 450+r.IntN(150), 210+r.IntN(20), 200+r.IntN(30), 10+r.IntN(5), oneOf(r, []string{"s3", "dynamodb", "lambda", "sqs", "sns"}), 450+r.IntN(150))
	}
}

func terraformUA(r *rand.Rand) string {
	return fmt.Sprintf("APN/1.0 HashiCorp/1.0 Terraform/1.%d.%d (+https://www.terraform.io) terraform-provider-aws/5.%d.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.%d.%d ua/2.0 os/linux lang/go#1.22.%d md/GOOS#linux md/GOARCH#amd64", 5+r.IntN(4), r.IntN(6), 30+r.IntN(40), 24+r.IntN(6), r.IntN(5), r.IntN(6))
}

func browserUA(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 118+r.IntN(10))
	case 1:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", 120+r.IntN(8), 120+r.IntN(8))
	default:
		return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 118+r.IntN(10))
	}
}

func mobileUA(r *rand.Rand) string {
	return fmt.Sprintf("aws-sdk-%s/2.%d.%d", oneOf(r, []string{"iOS", "android"}), 20+r.IntN(20), r.IntN(10))
}
