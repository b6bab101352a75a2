package main
import (
 _ "github.com/spf13/cobra"
 _ "github.com/spf13/cobra/doc"
 _ "github.com/aws/aws-sdk-go-v2/aws"
 _ "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
 _ "github.com/aws/aws-sdk-go-v2/config"
 _ "github.com/aws/aws-sdk-go-v2/credentials"
 _ "github.com/aws/aws-sdk-go-v2/service/sts"
 _ "github.com/aws/aws-sdk-go-v2/service/iam"
 _ "gopkg.in/ini.v1"
 _ "github.com/rogpeppe/go-internal/testscript"
 _ "github.com/gofrs/flock"
 _ "golang.org/x/term"
)
func main(){}
