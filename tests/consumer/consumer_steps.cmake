# Steps shared by run_consumer.cmake and tests/packaging/run_packaging.cmake.

# run(command...): run it; fail with its output unless it exits 0. Its output
# is left in last_output.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# pkg_config_compile(module source output [flags...]): compile the source with
# COMPILER and the flags `pkg-config --cflags --libs module` gives (found
# through PKG_CONFIG_PATH); the extra flags go first.
function(pkg_config_compile module source output)
  run(pkg-config --cflags --libs ${module})
  string(STRIP "${last_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${ARGN} ${flags}")
  run(${COMPILER} ${source} ${flags} -o ${output})
endfunction()
