# Project-wide warning policy: every target is built with -Wall -Wextra -Werror.
add_compile_options(-Wall -Wextra -Werror)
