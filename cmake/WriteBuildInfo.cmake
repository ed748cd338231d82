# Writes the build-information source (cmake -P): the version of project(VERSION) and the git
# revision of the checkout, or "unknown" outside one (a source tarball). The file is rewritten
# only when its content changes, so an unchanged revision relinks nothing.
#
# Inputs: SOURCE_DIR, OUTPUT, TEMPLATE, VERSION, REVISION (a fixed revision; empty = ask git).
if(NOT REVISION)
  set(REVISION unknown)
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel
                    OUTPUT_VARIABLE toplevel OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE toplevel_result ERROR_QUIET)
    file(REAL_PATH "${SOURCE_DIR}" source_real)
    if(toplevel_result EQUAL 0)
      file(REAL_PATH "${toplevel}" toplevel)
    endif()
    # Only the source tree's own repository: a tarball unpacked inside another checkout must
    # not take that checkout's revision.
    if(toplevel_result EQUAL 0 AND toplevel STREQUAL source_real)
      execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                      OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                      RESULT_VARIABLE head_result ERROR_QUIET)
      if(head_result EQUAL 0 AND head MATCHES "^[0-9a-f]+$")
        set(REVISION ${head})
      endif()
    endif()
  endif()
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
