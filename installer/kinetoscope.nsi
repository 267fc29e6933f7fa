; Kinetoscope's Windows installer: per user (no administrator), Windows on ARM64 only.
;
; Built by installer/build.py, which passes:
;   -DSOURCE_DIR=<frozen app folder>   the PyInstaller one-folder output (Kinetoscope.exe, _internal\)
;   -DVERSION=<x.y.z>                  the app version
;   -DOUTFILE=<setup .exe path>
;   -DNO_COMPRESSION                   optional: store files uncompressed (the Linux compile check)
;   -DVCREDIST=<vc_redist.arm64.exe>   optional: a fallback for the VC++ runtime, which the build
;                                      already puts beside the executables
;   -DWINE_TEST                        the test variant installer/wine_check.py runs under Wine on
;                                      Linux: a 64-bit x86 installer without the ARM64 guard; the
;                                      pages, sections, registry and uninstaller are this same script
;   -DWINE_TEST_GUARD                  the same 64-bit x86 build with the guard kept (it must refuse)
;
; NSIS installers are x86 programs that Windows on ARM64 runs emulated: the script asks for the
; native architecture, and uses the 64-bit registry view so nothing lands in WOW6432Node.
;
; Silent use: `setup.exe /S` installs with the default options; `"Uninstall Kinetoscope.exe" /S`
; uninstalls and keeps the user's data, `... /S /REMOVEDATA` removes that too.
;
; The `kinetoscope` command: the build puts kinetoscope.com (the console executable) beside
; Kinetoscope.exe; with the app folder on the user's PATH (an option, on by default) `kinetoscope`
; runs it, as Windows tries .COM before .EXE. The installer appends exactly one entry, the app
; folder, to HKCU\Environment's Path, records it in the Apps & features key (PathEntry), and tells
; running programs (WM_SETTINGCHANGE "Environment"); the uninstaller removes that entry and leaves
; every other one, their order and separators as they are.

!ifdef WINE_TEST | WINE_TEST_GUARD
  ; Debian's wine64 runs amd64 stubs only (the x86 stub needs wine32; see wine-notes.md).
  Target amd64-unicode
!else
  Unicode true
!endif
ManifestDPIAware true
RequestExecutionLevel user
!ifdef NO_COMPRESSION
  ; For CI's compile check on Linux: solid LZMA over the frozen tree takes ~10 minutes on 2 cores.
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!ifndef SOURCE_DIR
  !error "Pass -DSOURCE_DIR=<the frozen Kinetoscope folder> (installer/build.py does)"
!endif
!ifndef VERSION
  !error "Pass -DVERSION=<version> (installer/build.py does)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Kinetoscope-${VERSION}-win-arm64-setup.exe"
!endif

!define APP_NAME "Kinetoscope"
!define APP_EXE "Kinetoscope.exe"
!define PUBLISHER "Kinetoscope"
!define PROG_ID "Kinetoscope.VideoClip"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define CLASSES "Software\Classes"
; Where the app keeps models, caches, settings and logs (platformdirs' user data folder).
!define USER_DATA "$LOCALAPPDATA\${APP_NAME}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"
!include "WinMessages.nsh"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}"

!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"
!define MUI_COMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; One extension: listed under "Open with" through the ProgID and the application's SupportedTypes.
!macro OpenWith EXT
  WriteRegStr HKCU "${CLASSES}\${EXT}\OpenWithProgids" "${PROG_ID}" ""
  WriteRegStr HKCU "${CLASSES}\Applications\${APP_EXE}\SupportedTypes" "${EXT}" ""
!macroend

!macro UnOpenWith EXT
  DeleteRegValue HKCU "${CLASSES}\${EXT}\OpenWithProgids" "${PROG_ID}"
  DeleteRegKey /ifempty HKCU "${CLASSES}\${EXT}\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "${CLASSES}\${EXT}"
!macroend

; --- The user's PATH: one entry, the app folder --------------------------------------------------
!define ENVIRONMENT "Environment"
; Longer values could be truncated by ReadRegStr (NSIS_MAX_STRLEN); such a PATH is left alone.
!define PATH_LIMIT ${NSIS_MAX_STRLEN}

; PathWithout <path> <entry> -> <path without every element equal to entry (case-insensitive, with
; or without a trailing backslash)>. Other elements, empty ones included, keep their text and order.
!macro PATH_WITHOUT UN
Function ${UN}PathWithout
  Exch $R1 ; entry
  Exch
  Exch $R0 ; path
  Push $R2 ; result
  Push $R3 ; current element
  Push $R4 ; index
  Push $R5 ; character
  Push $R6 ; whether the result has an element yet
  StrCpy $R2 ""
  StrCpy $R3 ""
  StrCpy $R4 0
  StrCpy $R6 0
  loop:
    StrCpy $R5 $R0 1 $R4
    ${If} $R5 == ";"
    ${OrIf} $R5 == ""
      ${If} $R3 != $R1
      ${AndIf} $R3 != "$R1\"
        ${If} $R6 == 1
          StrCpy $R2 "$R2;$R3"
        ${Else}
          StrCpy $R2 $R3
          StrCpy $R6 1
        ${EndIf}
      ${EndIf}
      StrCpy $R3 ""
      StrCmp $R5 "" done
    ${Else}
      StrCpy $R3 "$R3$R5"
    ${EndIf}
    IntOp $R4 $R4 + 1
    Goto loop
  done:
  StrCpy $R0 $R2
  Pop $R6
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Exch $R0
FunctionEnd
!macroend
!insertmacro PATH_WITHOUT ""
!insertmacro PATH_WITHOUT "un."

!macro BROADCAST_ENVIRONMENT
  ; Explorer and new terminals reread the user's environment; a terminal already open keeps its own.
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
!macroend

; Append $INSTDIR to the user's Path unless it is there; remember that it was added.
Function AddToPath
  ClearErrors
  ReadRegStr $0 HKCU "${ENVIRONMENT}" "Path"
  StrLen $1 $0
  IntOp $2 ${PATH_LIMIT} - 1
  ${If} $1 >= $2
    DetailPrint "Your PATH is too long to change safely; add $INSTDIR to it yourself to type kinetoscope."
    Return
  ${EndIf}
  Push $0
  Push $INSTDIR
  Call PathWithout
  Pop $3
  ${If} $3 != $0
    DetailPrint "$INSTDIR is on your PATH already."
    Return
  ${EndIf}
  ; After a trailing ";" no second one (an empty element ends some programs' PATH search); the
  ; uninstaller puts that ";" back (PathKeptSeparator), so it restores the value exactly.
  StrCpy $1 $0 1 -1
  ${If} $0 == ""
    StrCpy $0 "$INSTDIR"
  ${ElseIf} $1 == ";"
    StrCpy $0 "$0$INSTDIR"
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "PathKeptSeparator" 1
  ${Else}
    StrCpy $0 "$0;$INSTDIR"
  ${EndIf}
  WriteRegExpandStr HKCU "${ENVIRONMENT}" "Path" $0
  WriteRegStr HKCU "${UNINSTALL_KEY}" "PathEntry" "$INSTDIR"
  !insertmacro BROADCAST_ENVIRONMENT
  DetailPrint "Added $INSTDIR to your PATH: new terminals know the kinetoscope command."
FunctionEnd

; Remove the entry the installer added (PathEntry), nothing else; a Path left empty is deleted.
!macro REMOVE_FROM_PATH UN
Function ${UN}RemoveFromPath
  ClearErrors
  ReadRegStr $1 HKCU "${UNINSTALL_KEY}" "PathEntry"
  ${If} ${Errors}
  ${OrIf} $1 == ""
    Return
  ${EndIf}
  ReadRegStr $0 HKCU "${ENVIRONMENT}" "Path"
  StrLen $2 $0
  IntOp $3 ${PATH_LIMIT} - 1
  ${If} $2 >= $3
    DetailPrint "Your PATH is too long to change safely; remove $1 from it yourself."
    Return
  ${EndIf}
  Push $0
  Push $1
  Call ${UN}PathWithout
  Pop $2
  ; The ";" the PATH ended with before the install, if the entry is still the last one.
  ReadRegDWORD $3 HKCU "${UNINSTALL_KEY}" "PathKeptSeparator"
  StrLen $4 $1
  IntOp $4 0 - $4
  StrCpy $5 $0 "" $4
  ${If} $3 == 1
  ${AndIf} $5 == $1
  ${AndIf} $2 != ""
    StrCpy $2 "$2;"
  ${EndIf}
  ${If} $2 != $0
    ${If} $2 == ""
      DeleteRegValue HKCU "${ENVIRONMENT}" "Path"
    ${Else}
      WriteRegExpandStr HKCU "${ENVIRONMENT}" "Path" $2
    ${EndIf}
    !insertmacro BROADCAST_ENVIRONMENT
  ${EndIf}
  DeleteRegValue HKCU "${UNINSTALL_KEY}" "PathEntry"
  DeleteRegValue HKCU "${UNINSTALL_KEY}" "PathKeptSeparator"
FunctionEnd
!macroend
!insertmacro REMOVE_FROM_PATH ""
!insertmacro REMOVE_FROM_PATH "un."

Function .onInit
!ifndef WINE_TEST
  ; The frozen app is native ARM64 code: refuse clearly anywhere else (x64 and x86 Windows).
  ${IfNot} ${IsNativeARM64}
    MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} ${VERSION} is built for Windows on ARM64 (Snapdragon X and \
      other Arm PCs) and cannot run on this computer's processor.$\r$\n$\r$\nNothing was installed." /SD IDOK
    Abort
  ${EndIf}
!endif
  SetRegView 64
  SetShellVarContext current
FunctionEnd

Section "${APP_NAME} (required)" SecApp
  SectionIn RO
  ; An upgrade replaces the app folder wholesale, so no file of the old version lingers.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\kinetoscope-cli.exe"  ; the command's earlier name: kinetoscope.com replaces it
  SetOutPath "$INSTDIR"
  File /r "${SOURCE_DIR}/*"
  WriteUninstaller "$INSTDIR\Uninstall ${APP_NAME}.exe"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  ; Apps & features (per user).
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall ${APP_NAME}.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall ${APP_NAME}.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

!ifdef VCREDIST
Section "-Visual C++ runtime" SecVcRedist
  ; The build puts the runtime DLLs beside the executables; this only runs Microsoft's installer
  ; (which asks for administrator rights) when those are absent and the runtime is not installed.
  ${IfNot} ${FileExists} "$INSTDIR\vcruntime140.dll"
    ReadRegDWORD $0 HKLM "SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\arm64" "Installed"
    ${If} $0 <> 1
      SetOutPath "$PLUGINSDIR"
      File "/oname=vc_redist.arm64.exe" "${VCREDIST}"
      ExecWait '"$PLUGINSDIR\vc_redist.arm64.exe" /install /quiet /norestart' $1
      DetailPrint "Visual C++ runtime installer exited with $1"
      SetOutPath "$INSTDIR"
    ${EndIf}
  ${EndIf}
SectionEnd
!endif

Section "Open video files with ${APP_NAME}" SecOpenWith
  ; Per-user "Open with" entries; they never take over the user's default player.
  WriteRegStr HKCU "${CLASSES}\${PROG_ID}" "" "Video clip"
  WriteRegStr HKCU "${CLASSES}\${PROG_ID}\DefaultIcon" "" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${CLASSES}\${PROG_ID}\shell\open" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr HKCU "${CLASSES}\${PROG_ID}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" gui "%1"'
  WriteRegStr HKCU "${CLASSES}\Applications\${APP_EXE}" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr HKCU "${CLASSES}\Applications\${APP_EXE}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" gui "%1"'
  !insertmacro OpenWith ".mp4"
  !insertmacro OpenWith ".mov"
  !insertmacro OpenWith ".mkv"
  !insertmacro OpenWith ".avi"
  !insertmacro OpenWith ".webm"
  ; SHCNE_ASSOCCHANGED: Explorer rereads the associations.
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Section "Add the kinetoscope command to PATH" SecPath
  ; For the user only (HKCU); the app folder holds kinetoscope.com, which `kinetoscope` runs.
  Call AddToPath
SectionEnd

Section "-Path option off" SecNoPath
  ; An upgrade with the PATH box cleared takes back the entry an earlier install added.
  ${IfNot} ${SectionIsSelected} ${SecPath}
    Call RemoveFromPath
  ${EndIf}
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

Section "un.${APP_NAME}" SecUnApp
  SectionIn RO
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  Call un.RemoveFromPath

  !insertmacro UnOpenWith ".mp4"
  !insertmacro UnOpenWith ".mov"
  !insertmacro UnOpenWith ".mkv"
  !insertmacro UnOpenWith ".avi"
  !insertmacro UnOpenWith ".webm"
  DeleteRegKey HKCU "${CLASSES}\${PROG_ID}"
  DeleteRegKey HKCU "${CLASSES}\Applications\${APP_EXE}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'

  ; Only what the installer put there: the folder itself goes only if nothing else is left in it.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\kinetoscope.com"
  Delete "$INSTDIR\kinetoscope-cli.exe"  ; its name before kinetoscope.com (an upgraded install)
  Delete "$INSTDIR\vcruntime140*.dll"
  Delete "$INSTDIR\msvcp140*.dll"
  Delete "$INSTDIR\concrt140.dll"
  Delete "$INSTDIR\Uninstall ${APP_NAME}.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

Section /o "un.Also remove my models, settings and logs" SecUnData
  ; Left alone unless asked for: downloaded models can be gigabytes and take long to fetch again.
  RMDir /r "${USER_DATA}"
SectionEnd

; After the sections: it refers to SecUnData.
Function un.onInit
  SetRegView 64
  SetShellVarContext current
  ; A silent uninstall shows no components page, so the data box has a switch of its own:
  ; `"Uninstall Kinetoscope.exe" /S /REMOVEDATA`. Without it the data stays, as the README says.
  ${un.GetParameters} $R0
  ClearErrors
  ${un.GetOptions} $R0 "/REMOVEDATA" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecUnData}
  ${EndIf}
FunctionEnd
