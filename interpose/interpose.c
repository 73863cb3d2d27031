/* placeholder */ typedef int fl_placeholder_interpose_c;
