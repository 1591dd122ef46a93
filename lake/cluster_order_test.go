package lake

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// clusterRowGroups orders each group exactly as a stable sort by (principal,
// source, name, eventTime) would, whether or not the group comes in time
// order, with absent identities, principals, sources and names ("") and
// equal times among them.
func TestClusterRowGroupsMatchesComparisonSort(t *testing.T) {
	sources := []*string{nil, ptrTo("s3.amazonaws.com"), ptrTo("ec2.amazonaws.com"), ptrTo("")}
	names := []*string{nil, ptrTo("GetObject"), ptrTo("PutObject"), ptrTo("RunInstances")}
	identities := []*UserIdentity{nil, {}, {ARN: ptrTo("arn:aws:iam::123456789012:user/alice")}, {ARN: ptrTo("arn:aws:iam::123456789012:user/bob")}, {ARN: ptrTo("")}}
	base := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	for _, timeOrdered := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(7, uint64(len(names))))
		events := make([]Event, 5000)
		for i := range events {
			events[i] = Event{
				EventTime:   base.Add(time.Duration(rng.IntN(600)) * time.Second),
				EventSource: sources[rng.IntN(len(sources))],
				EventName:   names[rng.IntN(len(names))],
			}
			if id := identities[rng.IntN(len(identities))]; id != nil {
				events[i].UserIdentity = id
			}
		}
		order := make([]int32, len(events))
		for i := range order {
			order[i] = int32(i)
		}
		if timeOrdered {
			order = sortOrder(events)
		}
		want := slices.Clone(order)
		const groupRows = 1024
		for start := 0; start < len(want); start += groupRows {
			slices.SortStableFunc(want[start:min(start+groupRows, len(want))], func(a, b int32) int {
				ea, eb := &events[a], &events[b]
				if c := strings.Compare(principal(ea), principal(eb)); c != 0 {
					return c
				}
				if c := strings.Compare(deref(ea.EventSource), deref(eb.EventSource)); c != 0 {
					return c
				}
				if c := strings.Compare(deref(ea.EventName), deref(eb.EventName)); c != 0 {
					return c
				}
				return ea.EventTime.Compare(eb.EventTime)
			})
		}
		got := slices.Clone(order)
		clusterRowGroups(events, got, groupRows)
		if !slices.Equal(got, want) {
			t.Fatalf("time-ordered input %v: clustered order differs from the comparison sort's", timeOrdered)
		}
	}
}

func ptrTo(s string) *string { return &s }

func principal(e *Event) string {
	if e.UserIdentity == nil {
		return ""
	}
	return deref(e.UserIdentity.ARN)
}
