/* placeholder */ typedef int fl_placeholder_wrappers_c;
