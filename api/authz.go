package api

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/api/iam"
)

// authorize evaluates the caller's policy for the call's action on each
// resource (an ARN; "*" for calls on no particular resource). Every
// handler calls it before it reads or changes anything; a call that is not
// allowed on every resource fails with AccessDeniedException.
func (c *call) authorize(resources ...string) error {
	action := c.service + ":" + c.op
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for _, res := range resources {
		switch c.id.Policy.Evaluate(action, res) {
		case iam.Allow:
			continue
		case iam.ExplicitDeny:
			return apierr.New(apierr.AccessDenied, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an identity-based policy", c.id.ARN, action, res))
		default:
			return apierr.New(apierr.AccessDenied, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", c.id.ARN, action, res, action))
		}
	}
	c.authorized = true
	c.resources = append(c.resources, resources...)
	return nil
}

// storeRef turns an EventDataStore parameter (an ARN or the ID at its end)
// into the ARN the call is authorized on.
func (c *call) storeRef(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return c.s.storeARN(strings.ToLower(ref))
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
