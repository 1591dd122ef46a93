package apierr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

func TestFrom(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   string
		status int
	}{
		{fmt.Errorf("get: %w: abc", lake.ErrStoreNotFound), "EventDataStoreNotFoundException", 400},
		{fmt.Errorf("%w: RetentionPeriod 5", lake.ErrInvalidParameter), "InvalidParameterException", 400},
		{lake.ErrTerminationProtected, "EventDataStoreTerminationProtectedException", 400},
		{&query.StatementError{Reason: "only SELECT"}, "InvalidQueryStatementException", 400},
		{errors.New("disk on fire"), "InternalFailure", http.StatusInternalServerError},
	} {
		t.Run(tc.code, func(t *testing.T) {
			e := apierr.From(tc.err)
			require.Equal(t, tc.code, e.Code)
			require.Equal(t, tc.status, e.Status)
			require.ErrorIs(t, e, tc.err)
		})
	}
	require.Equal(t, "internal error", apierr.From(errors.New("secret path /x")).Message, "internal causes are not sent to callers")
}
