# tessera_installed_library(NAME name OBJECTS tgt... PRIVATE_LINK lib... PC_REQUIRES mods
#                           DESCRIPTION text)
#
# The installed form of an in-tree library: libtessera-<name>.so.<major> (SONAME) and
# libtessera-<name>.a, both built from the objects of OBJECTS (the in-tree static libraries it
# is made of, built position-independent), so consumers link one library and nothing of src/.
# Consumers see only include/tessera; PRIVATE_LINK (OpenSSL, libcurl...) stays private: the
# shared library records it as DT_NEEDED, the static one as $<LINK_ONLY:> in the CMake package
# and Requires.private/Libs.private in tessera-<name>.pc. The shared library exports only the
# public API (cmake/tessera.map), so its copies of the internal code cannot clash with others.
#
# Targets: tessera_<name>_shared, tessera_<name>_static (exported as Tessera::<name>_shared and
# Tessera::<name>_static; TesseraConfig.cmake makes Tessera::<name> of one of them).
include(GNUInstallDirs)

function(tessera_installed_library)
  cmake_parse_arguments(ARG "" "NAME;DESCRIPTION;PC_REQUIRES;PC_LIBS" "OBJECTS;PRIVATE_LINK"
                        ${ARGN})
  set(objects "")
  foreach(t IN LISTS ARG_OBJECTS)
    set_property(TARGET ${t} PROPERTY POSITION_INDEPENDENT_CODE ON)
    list(APPEND objects $<TARGET_OBJECTS:${t}>)
  endforeach()

  foreach(kind shared static)
    set(target tessera_${ARG_NAME}_${kind})
    string(TOUPPER ${kind} type)
    add_library(${target} ${type} ${objects})
    add_dependencies(${target} ${ARG_OBJECTS})
    set_target_properties(${target} PROPERTIES
      OUTPUT_NAME tessera-${ARG_NAME}
      EXPORT_NAME ${ARG_NAME}_${kind}
      LINKER_LANGUAGE CXX
      ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib
      LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
    target_include_directories(${target} INTERFACE
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_compile_features(${target} INTERFACE cxx_std_20)
    target_link_libraries(${target} PRIVATE ${ARG_PRIVATE_LINK})
  endforeach()
  set_target_properties(tessera_${ARG_NAME}_shared PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}
    LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/tessera.map)
  target_link_options(tessera_${ARG_NAME}_shared PRIVATE
    LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/tessera.map LINKER:--as-needed)
  # Every symbol resolved at link time: the link line is complete. (Not under the sanitizers,
  # whose runtime the executable, not the library, brings.)
  if(NOT TESSERA_SANITIZE AND NOT TESSERA_TSAN AND NOT TESSERA_FUZZ)
    target_link_options(tessera_${ARG_NAME}_shared PRIVATE LINKER:--no-undefined)
  endif()

  install(TARGETS tessera_${ARG_NAME}_shared tessera_${ARG_NAME}_static EXPORT TesseraTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

  # tessera-<name>.pc names the install prefix, known only at install time (cmake --install
  # --prefix P), so it is written then; DESTDIR is not part of it.
  set(PC_NAME tessera-${ARG_NAME})
  set(PC_DESCRIPTION "${ARG_DESCRIPTION}")
  set(PC_REQUIRES_PRIVATE "${ARG_PC_REQUIRES}")
  set(PC_LIBS_PRIVATE "${ARG_PC_LIBS}")
  set(pc_template ${PROJECT_BINARY_DIR}/pkgconfig/tessera-${ARG_NAME}.pc.in)
  set(pc_file ${PROJECT_BINARY_DIR}/pkgconfig/tessera-${ARG_NAME}.pc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/tessera.pc.in ${pc_template} @ONLY)
  install(CODE "
    file(READ \"${pc_template}\" pc)
    string(REPLACE \"%PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
    file(WRITE \"${pc_file}\" \"\${pc}\")")
  install(FILES ${pc_file} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
