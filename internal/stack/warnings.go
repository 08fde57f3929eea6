package stack

import "github.com/compose-spec/compose-go/v2/types"

func swarmWarnings(p *types.Project, files []yamlFile) []string { return nil }
