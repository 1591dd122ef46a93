package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/lake"
)

func newEDSCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eds",
		Short: "Create, list, get, update, delete and restore event data stores",
	}
	cmd.AddCommand(newEDSCreateCmd(g), newEDSListCmd(g), newEDSGetCmd(g), newEDSUpdateCmd(g),
		newEDSDeleteCmd(g), newEDSRestoreCmd(g), newEDSIngestionCmd(g, true), newEDSIngestionCmd(g, false))
	return cmd
}

// storeJSON is a store as the API's GetEventDataStore answers it, with
// timestamps as the aws CLI prints them (api.CLIStore): eds create, get,
// list and the rest print what `aws cloudtrail get-event-data-store`
// prints for the same store.
type storeJSON = api.StoreShape[api.CLITime]

func toJSON(s lake.StoreInfo) storeJSON { return api.CLIStore(s) }

// userStore resolves a store reference for a user: the hidden event-history
// store is not found.
func userStore(ctx context.Context, l *lake.Lake, ref string) (lake.StoreInfo, error) {
	s, err := l.GetStore(ctx, ref)
	if err == nil && s.Hidden {
		err = fmt.Errorf("%w: %s", lake.ErrStoreNotFound, ref)
	}
	return s, err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

// selectorsFlag parses --advanced-event-selectors: JSON as the aws CLI
// takes it, or @file to read it from a file.
func parseSelectors(raw string) ([]lake.AdvancedEventSelector, error) {
	if raw == "" {
		return nil, nil
	}
	data := []byte(raw)
	if raw[0] == '@' {
		var err error
		if data, err = os.ReadFile(raw[1:]); err != nil {
			return nil, err
		}
	}
	var sels []lake.AdvancedEventSelector
	if err := json.Unmarshal(data, &sels); err != nil {
		return nil, fmt.Errorf("%w: --advanced-event-selectors is not a JSON list of selectors: %v", lake.ErrInvalidEventSelectors, err)
	}
	if sels == nil {
		sels = []lake.AdvancedEventSelector{}
	}
	return sels, nil
}

func newEDSCreateCmd(g *globals) *cobra.Command {
	var in lake.CreateStoreInput
	var retention int
	var selectors string
	var protect, multiRegion, org, start bool
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an event data store; prints it as CreateEventDataStore returns it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if in.AdvancedEventSelectors, err = parseSelectors(selectors); err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("retention-days") {
				in.RetentionPeriod = &retention
			}
			in.TerminationProtectionEnabled = boolFlag(cmd, "termination-protection", protect)
			in.MultiRegionEnabled = boolFlag(cmd, "multi-region", multiRegion)
			in.OrganizationEnabled = boolFlag(cmd, "organization", org)
			in.StartIngestion = boolFlag(cmd, "start-ingestion", start)
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				s, err := l.CreateStore(cmd.Context(), in)
				if err != nil {
					return err
				}
				out := toJSON(s)
				out.TagsList = s.Tags // as CreateEventDataStore answers
				return printJSON(cmd.OutOrStdout(), out)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "store name: 3-128 of a-z A-Z 0-9 . _ -")
	f.IntVar(&retention, "retention-days", lake.DefaultRetentionDays, "days to keep events, by eventTime (7-3653; 7-2557 with FIXED_RETENTION_PRICING)")
	f.StringVar(&selectors, "advanced-event-selectors", "", "advanced event selectors as JSON (or @file); default: all management events")
	f.BoolVar(&protect, "termination-protection", true, "refuse deletion while on")
	f.BoolVar(&multiRegion, "multi-region", true, "collect events from all regions")
	f.BoolVar(&org, "organization", false, "collect events for an organization")
	f.BoolVar(&start, "start-ingestion", true, "take events from the start")
	f.StringVar(&in.BillingMode, "billing-mode", "", "EXTENDABLE_RETENTION_PRICING (default) or FIXED_RETENTION_PRICING")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func boolFlag(cmd *cobra.Command, name string, v bool) *bool {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	return &v
}

func newEDSListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List event data stores, as ListEventDataStores does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				stores, err := l.ListStores(cmd.Context())
				if err != nil {
					return err
				}
				out := struct {
					EventDataStores []storeJSON `json:"EventDataStores"`
				}{EventDataStores: []storeJSON{}}
				for _, s := range stores {
					if s.Hidden {
						continue
					}
					out.EventDataStores = append(out.EventDataStores, toJSON(s))
				}
				return printJSON(cmd.OutOrStdout(), out)
			})
		},
	}
}

func newEDSGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID|NAME|ARN",
		Short: "Show an event data store, as GetEventDataStore does, with its size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				s, err := userStore(cmd.Context(), l, args[0])
				if err != nil {
					return err
				}
				st, err := l.Stats(cmd.Context(), s.ID)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), struct {
					storeJSON
					Stats api.StoreStats[api.CLITime] `json:"Stats"`
				}{toJSON(s), api.CLIStats(st)})
			})
		},
	}
}

func newEDSUpdateCmd(g *globals) *cobra.Command {
	var name, selectors, billing string
	var retention int
	var protect, multiRegion, org bool
	cmd := &cobra.Command{
		Use:   "update ID|NAME|ARN [flags]",
		Short: "Change an event data store's settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in lake.UpdateStoreInput
			f := cmd.Flags()
			if f.Changed("name") {
				in.Name = &name
			}
			if f.Changed("retention-days") {
				in.RetentionPeriod = &retention
			}
			if f.Changed("billing-mode") {
				in.BillingMode = &billing
			}
			if f.Changed("advanced-event-selectors") {
				sels, err := parseSelectors(selectors)
				if err != nil {
					return err
				}
				in.AdvancedEventSelectors = sels
			}
			in.TerminationProtectionEnabled = boolFlag(cmd, "termination-protection", protect)
			in.MultiRegionEnabled = boolFlag(cmd, "multi-region", multiRegion)
			in.OrganizationEnabled = boolFlag(cmd, "organization", org)
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				if _, err := userStore(cmd.Context(), l, args[0]); err != nil {
					return err
				}
				s, err := l.UpdateStore(cmd.Context(), args[0], in)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), toJSON(s))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new name")
	f.IntVar(&retention, "retention-days", 0, "days to keep events (7-3653)")
	f.StringVar(&selectors, "advanced-event-selectors", "", "advanced event selectors as JSON (or @file)")
	f.StringVar(&billing, "billing-mode", "", "EXTENDABLE_RETENTION_PRICING (from FIXED only)")
	f.BoolVar(&protect, "termination-protection", true, "refuse deletion while on")
	f.BoolVar(&multiRegion, "multi-region", true, "collect events from all regions")
	f.BoolVar(&org, "organization", false, "collect events for an organization")
	return cmd
}

func newEDSDeleteCmd(g *globals) *cobra.Command {
	return storeActionCmd(g, "delete", "Delete a store: it enters PENDING_DELETION and can be restored for 7 days",
		func(l *lake.Lake, cmd *cobra.Command, ref string) (lake.StoreInfo, error) {
			return l.DeleteStore(cmd.Context(), ref)
		})
}

func newEDSRestoreCmd(g *globals) *cobra.Command {
	return storeActionCmd(g, "restore", "Restore a store that is pending deletion",
		func(l *lake.Lake, cmd *cobra.Command, ref string) (lake.StoreInfo, error) {
			return l.RestoreStore(cmd.Context(), ref)
		})
}

func newEDSIngestionCmd(g *globals, on bool) *cobra.Command {
	use, short := "stop-ingestion", "Stop taking events into a store"
	if on {
		use, short = "start-ingestion", "Resume taking events into a store"
	}
	return storeActionCmd(g, use, short, func(l *lake.Lake, cmd *cobra.Command, ref string) (lake.StoreInfo, error) {
		return l.SetIngestion(cmd.Context(), ref, on)
	})
}

func storeActionCmd(g *globals, use, short string, fn func(*lake.Lake, *cobra.Command, string) (lake.StoreInfo, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use + " ID|NAME|ARN",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				if _, err := userStore(cmd.Context(), l, args[0]); err != nil {
					return err
				}
				s, err := fn(l, cmd, args[0])
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), toJSON(s))
			})
		},
	}
}
