/* Generates wrappers from calls.def: included once by each wrap_*.c after it has defined
 * FL_GEN_<family> for the families it holds; the rows of every other family expand to nothing
 * here. A generator gets the row's symbol, return type, failure value, parameter and argument
 * lists, object and data columns. */
#ifndef FL_GEN_SYS
#define FL_GEN_SYS(...)
#endif
#ifndef FL_GEN_TRACK
#define FL_GEN_TRACK(...)
#endif
#ifndef FL_GEN_IO
#define FL_GEN_IO(...)
#endif
#ifndef FL_GEN_VEC
#define FL_GEN_VEC(...)
#endif
#ifndef FL_GEN_MMSG
#define FL_GEN_MMSG(...)
#endif
#ifndef FL_GEN_MSGIN
#define FL_GEN_MSGIN(...)
#endif
#ifndef FL_GEN_POLL
#define FL_GEN_POLL(...)
#endif
/* Hand-written: variadic (wrap_variadic.c) or with fire semantics no generator has
 * (connect, wrap_sys.c). */
#define FL_GEN_OPEN(...)
#define FL_GEN_CUSTOM(...)

#define FL_CALL(name, base, family, ret, fail, params, args, object, kinds, errnos, transient, \
                hard, data)                                                                    \
  FL_GEN_##family(name, ret, fail, params, args, object, data)
#include "calls.def"
#undef FL_CALL
