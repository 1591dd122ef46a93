package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
)

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and delete the access keys that sign API requests (works on the lake while serve is not running)",
	}
	cmd.AddCommand(newKeysCreateCmd(g), newKeysListCmd(g), newKeysDeleteCmd(g))
	return cmd
}

// withKeys runs fn on the lake's key store.
func (g *globals) withKeys(cmd *cobra.Command, fn func(*iam.Keys) error) error {
	return g.withLake(cmd.Context(), func(l *lake.Lake) error {
		k, err := iam.Open(l, iam.Options{KeyFile: os.Getenv("AUDITLAKE_SECRETS_KEY_FILE")})
		if err != nil {
			return err
		}
		return fn(k)
	})
}

func newKeysCreateCmd(g *globals) *cobra.Command {
	var user, policy, akid string
	var admin bool
	cmd := &cobra.Command{
		Use:   "create --user NAME (--policy JSON|@FILE | --admin)",
		Short: "Create an access key with an IAM-style identity policy; prints its secret once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc := []byte(policy)
			switch {
			case admin && policy != "":
				return fmt.Errorf("%w: give --policy or --admin, not both", lake.ErrInvalidParameter)
			case admin:
				doc = []byte(iam.AdminPolicy)
			case policy == "":
				return fmt.Errorf("%w: give the key a --policy (JSON or @file) or --admin", lake.ErrInvalidParameter)
			case policy[0] == '@':
				var err error
				if doc, err = os.ReadFile(policy[1:]); err != nil {
					return err
				}
			}
			p, err := iam.ParsePolicy(doc)
			if err != nil {
				return err
			}
			secret := os.Getenv("AUDITLAKE_NEW_SECRET_ACCESS_KEY") // for scripts that must choose it
			return g.withKeys(cmd, func(k *iam.Keys) error {
				id, sec, err := k.Create(cmd.Context(), user, p, akid, secret)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), map[string]any{"AccessKey": map[string]any{
					"AccessKeyId": id.AccessKeyID, "SecretAccessKey": sec, "UserName": id.UserName, "Arn": id.ARN,
					"CreateDate": id.Created, "Policy": id.Policy,
				}})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the user name the key signs as (1-64 of letters, digits and +=,.@_-)")
	f.StringVar(&policy, "policy", "", `identity policy as JSON or @file, e.g. {"Statement":[{"Effect":"Allow","Action":"cloudtrail:*Query*","Resource":"*"}]}`)
	f.BoolVar(&admin, "admin", false, "allow every action on every resource")
	f.StringVar(&akid, "access-key-id", "", "choose the access key ID (default: generated); the secret comes from AUDITLAKE_NEW_SECRET_ACCESS_KEY or is generated")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newKeysListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List access keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withKeys(cmd, func(k *iam.Keys) error {
				ids, err := k.List(cmd.Context())
				if err != nil {
					return err
				}
				if ids == nil {
					ids = []iam.Identity{}
				}
				return printJSON(cmd.OutOrStdout(), map[string]any{"AccessKeys": ids})
			})
		},
	}
}

func newKeysDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ACCESS_KEY_ID",
		Short: "Delete an access key; requests it signs fail from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withKeys(cmd, func(k *iam.Keys) error { return k.Delete(cmd.Context(), args[0]) })
		},
	}
}
