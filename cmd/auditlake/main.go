// Command auditlake is a self-hosted audit event lake: CloudTrail and
// CloudTrail Lake on your own machines. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/lake"
)

// globals are the flags every subcommand shares.
type globals struct {
	lakeDir string
	bucket  string
	verbose bool
	cpuProf string
	memProf string
}

// errReported means the command already told the user what went wrong.
var errReported = errors.New("reported")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "auditlake:", apierr.Describe(err))
		}
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "auditlake",
		Short:         "A self-hosted audit event lake: CloudTrail Lake on your own machines",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	defLake := os.Getenv("AUDITLAKE_LAKE")
	if defLake == "" {
		defLake = "./data"
	}
	root.PersistentFlags().StringVar(&g.lakeDir, "lake", defLake, "lake folder (control-plane state, lock, cache; and segments unless --bucket); env AUDITLAKE_LAKE")
	root.PersistentFlags().StringVar(&g.bucket, "bucket", os.Getenv("AUDITLAKE_BUCKET"), "object storage URL for segments and manifests (file:///dir, s3://bucket?endpoint=...); default: <lake>/objects; env AUDITLAKE_BUCKET")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log what the lake does to standard error")
	root.PersistentFlags().StringVar(&g.cpuProf, "cpuprofile", "", "write a CPU profile of the command to this file")
	root.PersistentFlags().StringVar(&g.memProf, "memprofile", "", "write a heap profile at the end of the command to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	var stopProfile func() error
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		var err error
		stopProfile, err = startProfile(g.cpuProf, g.memProf)
		return err
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error { return stopProfile() }
	root.AddCommand(newEDSCmd(g), newIngestCmd(g), newImportCmd(g), newQueryCmd(g), newLookupCmd(g), newGenerateCmd(), newServeCmd(g), newDemoCmd(g), newKeysCmd(g), newMaintenanceCmd(g), newSavedCmd(g))
	return root
}

func (g *globals) logger() *slog.Logger {
	if !g.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// open opens the lake named by the global flags.
func (g *globals) open(ctx context.Context) (*lake.Lake, error) { return g.openLake(ctx, false) }

// openLake opens the lake named by the global flags; queryOnly as
// lake.Options.QueryOnly.
func (g *globals) openLake(ctx context.Context, queryOnly bool) (*lake.Lake, error) {
	return lake.Open(ctx, g.lakeDir, lake.Options{
		Bucket:          g.bucket,
		Region:          os.Getenv("AUDITLAKE_REGION"),
		AccountID:       os.Getenv("AUDITLAKE_ACCOUNT_ID"),
		Logger:          g.logger(),
		PendingDeletion: pendingDeletionFromEnv(),
		QueryOnly:       queryOnly,
	})
}

// withLake runs fn on the open lake and closes it.
func (g *globals) withLake(ctx context.Context, fn func(*lake.Lake) error) error {
	return g.runOnLake(ctx, false, fn)
}

// withQueryLake runs fn on the lake opened for queries only: the open does
// not recover from crashes, so its cost does not grow with the lake.
func (g *globals) withQueryLake(ctx context.Context, fn func(*lake.Lake) error) error {
	return g.runOnLake(ctx, true, fn)
}

func (g *globals) runOnLake(ctx context.Context, queryOnly bool, fn func(*lake.Lake) error) error {
	l, err := g.openLake(ctx, queryOnly)
	if err != nil {
		return err
	}
	return errors.Join(fn(l), l.Close())
}
