// SPDX-License-Identifier: MIT
#include "backend_opt.h"
#include "backend.h"
#include "cli.h"

#include <string.h>

void wl_backend_opt(const char *kv)
{
	char key[64];
	const char *eq = strchr(kv, '=');

	if (!wl_backend.set_option)
		wl_usage_error("--backend-opt: backend %s takes no options",
			       wl_backend.name);
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		wl_usage_error(
			"--backend-opt: '%s' is not key=value; valid: %s", kv,
			wl_backend.opts_help);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	if (wl_backend.set_option(key, eq + 1))
		wl_usage_error("--backend-opt: '%s' rejected; valid: %s", kv,
			       wl_backend.opts_help);
}
