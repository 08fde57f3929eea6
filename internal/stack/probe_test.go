package stack

import (
	"context"
	"fmt"
	"testing"
)

func TestProbe(t *testing.T) {
	for _, f := range [][]string{{"/tmp/stackload/p/b.yml"},{"/tmp/stackload/p/c.yml"},{"/tmp/stackload/p/e.yml"},{"/tmp/stackload/p/f.yml"},{"testdata/schema/wrongtype.yml"}, {"testdata/schema/unknownkey.yml"}, {"testdata/schema/nested.yml"}, {"testdata/syntax/broken.yml"}, {"testdata/merge/base.yml", "testdata/merge/override.yml"}, {"testdata/required/compose.yml"}} {
		_, err := Load(context.Background(), LoadOptions{Files: f, Name: "s"})
		fmt.Printf("%v\n%v\n", f, err)
	}
}
